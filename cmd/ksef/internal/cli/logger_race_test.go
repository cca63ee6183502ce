package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// TestLoggersShareStderr logs from two loggers of one Factory (the SDK's
// client and the embedded simulator each get one) in parallel: the race
// detector fails it when the two write to Stderr without a common lock,
// which is how `ksef demo --verbose` once raced on its output buffer.
func TestLoggersShareStderr(t *testing.T) {
	var errb bytes.Buffer
	f := &Factory{Stderr: &errb}
	f.Flags.Verbose = true
	var wg sync.WaitGroup
	for i := range 2 {
		l := f.Logger()
		wg.Go(func() {
			for j := range 200 {
				l.Debug("ksef http", "method", "GET", "path", "/x", "status", 200, "n", i*1000+j)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(errb.String(), "level=DEBUG"); n != 400 {
		t.Errorf("%d log lines, want 400", n)
	}
}
