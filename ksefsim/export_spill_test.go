package ksefsim

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"testing"
)

// TestExportSpill stores parts concurrently in the spill file and reads
// each back whole through its part; the file is gone from its directory.
func TestExportSpill(t *testing.T) {
	var sp exportSpill
	parts := make([]*exportPart, 16)
	data := make([][]byte, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		data[i] = bytes.Repeat([]byte{byte(i)}, 1000+i*7919)
		wg.Go(func() {
			p := &exportPart{size: int64(len(data[i]))}
			if p.spill, p.off = sp.put(data[i]); p.spill == nil {
				p.enc = data[i]
			}
			parts[i] = p
		})
	}
	wg.Wait()
	for i, p := range parts {
		if p.spill == nil || p.enc != nil {
			t.Fatalf("part %d kept in memory", i)
		}
		got, err := io.ReadAll(p.body())
		if err != nil || !bytes.Equal(got, data[i]) {
			t.Fatalf("part %d: read back %d bytes (%v), want %d equal", i, len(got), err, len(data[i]))
		}
	}
	if runtime.GOOS != "windows" {
		if _, err := os.Stat(sp.f.Name()); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the spill file is still in its directory: %v", err)
		}
	}
}
