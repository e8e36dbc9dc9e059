print("asyncio tour")
