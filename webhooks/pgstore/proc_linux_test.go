package pgstore_test

import "syscall"

// dieWithParent makes a child process get sig when the test binary dies, so that no server or
// receiver outlives a test run that was killed or timed out.
func dieWithParent(a *syscall.SysProcAttr, sig syscall.Signal) { a.Pdeathsig = sig }
