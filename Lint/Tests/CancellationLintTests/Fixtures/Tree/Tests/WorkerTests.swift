func check() {
    try? Task.checkCancellation()
}

func suppressed() async {
    // cancellation-lint:disable:next try-sleep
    try? await Task.sleep(for: .seconds(1))
    await check2()
}

func unused() {
    // cancellation-lint:disable:next try-check-cancellation
    print("nothing to suppress")
}

func check2() async {}
