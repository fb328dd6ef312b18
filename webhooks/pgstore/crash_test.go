package pgstore_test

// childEnv, when set, makes the test binary a crash-test child.
const childEnv = "PGSTORE_CRASH_CHILD"
