func broken( {
