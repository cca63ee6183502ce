package rt

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used; callers
// lock their goroutine to its thread. Unlike wall time it does not grow
// when other processes load the machine.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
