package ksefsim

import (
	"os"
	"syscall"
)

// punchHole gives the space of size bytes at off in f back to the file
// system, keeping the file's size (Linux: FALLOC_FL_PUNCH_HOLE |
// FALLOC_FL_KEEP_SIZE). It reports whether it could.
func punchHole(f *os.File, off, size int64) bool {
	return syscall.Fallocate(int(f.Fd()), 0x02|0x01, off, size) == nil
}
