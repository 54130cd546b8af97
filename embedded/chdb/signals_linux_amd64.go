package chdb

import (
	"syscall"
	"unsafe"
)

// kernelSigaction is the x86-64 kernel's struct sigaction (not glibc's).
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// preserveSignals records every signal disposition and returns a function
// that puts back the ones the engine changed.
//
// On connect the engine installs crash handlers for SIGSEGV, SIGBUS, SIGFPE,
// SIGILL and SIGABRT (or resets them to SIG_DFL when told not to). Go turns
// SIGSEGV into nil-pointer panics and owns SIGINT/SIGTERM for graceful
// shutdown, so losing its handlers would turn a recoverable panic into a
// process crash. The raw syscall restores Go's handler byte for byte,
// restorer included.
func preserveSignals() func() {
	var saved [65]kernelSigaction
	var ok [65]bool
	for sig := 1; sig <= 64; sig++ {
		if sig == int(syscall.SIGKILL) || sig == int(syscall.SIGSTOP) {
			continue
		}
		ok[sig] = rtSigaction(sig, nil, &saved[sig]) == nil
	}
	return func() {
		for sig := 1; sig <= 64; sig++ {
			if !ok[sig] {
				continue
			}
			var now kernelSigaction
			if rtSigaction(sig, nil, &now) != nil || now == saved[sig] {
				continue
			}
			_ = rtSigaction(sig, &saved[sig], nil)
		}
	}
}

func rtSigaction(sig int, act, old *kernelSigaction) error {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
