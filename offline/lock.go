package offline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrQueueBusy is returned by [Queue.Send] while another process sends
// from the same queue directory.
var ErrQueueBusy = errors.New("offline: another process is sending from this queue")

const lockName = ".send.lock"

// lockSend takes the queue's send lock (a file holding the process id),
// taking over a lock whose process no longer runs. The returned function
// releases it.
func (q *Queue) lockSend() (func(), error) {
	path := filepath.Join(q.dir, lockName)
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("offline: queue lock: %w", err)
		}
		b, _ := os.ReadFile(path)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if perr == nil && pid > 0 && pid != os.Getpid() && alive(pid) {
			return nil, fmt.Errorf("%w (process %d; the lock is %s)", ErrQueueBusy, pid, path)
		}
		if perr == nil && pid == os.Getpid() {
			return nil, fmt.Errorf("%w (this process)", ErrQueueBusy)
		}
		os.Remove(path) // stale: its process is gone
	}
	return nil, fmt.Errorf("%w (the lock %s keeps coming back)", ErrQueueBusy, path)
}

// alive reports whether process pid runs (signal 0 on Unix; elsewhere a
// process that can be found counts as running).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM)
}
