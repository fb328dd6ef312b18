//go:build unix && !linux

package pgstore_test

import "syscall"

// dieWithParent does nothing where the kernel cannot tie a child's life to its parent's.
func dieWithParent(*syscall.SysProcAttr, syscall.Signal) {}
