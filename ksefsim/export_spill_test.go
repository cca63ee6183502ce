package ksefsim

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
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

// TestExportSpillFree: a freed part's range of the spill file goes back to
// the file system (Linux), so an expired package stops taking disk space.
func TestExportSpillFree(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("hole punching is Linux only")
	}
	var sp exportSpill
	var parts []*exportPart
	for i := range 4 {
		b := bytes.Repeat([]byte{byte(i + 1)}, 1<<20)
		p := &exportPart{size: int64(len(b))}
		if p.spill, p.off = sp.put(b); p.spill == nil {
			t.Skip("no temporary file")
		}
		parts = append(parts, p)
	}
	blocks := func() int64 {
		fi, err := sp.f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			t.Skip("no block count")
		}
		return st.Blocks
	}
	before := blocks()
	parts[1].free()
	parts[2].free()
	after := blocks()
	if after > before*3/4 {
		t.Errorf("freeing half the parts: %d blocks of 512 bytes before, %d after", before, after)
	}
	got, err := io.ReadAll(parts[3].body())
	if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{4}, 1<<20)) {
		t.Errorf("a part kept after freeing others: %d bytes, %v", len(got), err)
	}
}

// TestExpiredPackagesFreed: starting an export frees the parts of every
// package past its lifetime (status 210), whether or not anybody asked its
// status, and keeps those still downloadable.
func TestExpiredPackagesFreed(t *testing.T) {
	s := New(WithExportLimits(ExportLimits{PackageLifetime: time.Minute}))
	now := s.now()
	part := func() *exportPart { return &exportPart{enc: []byte("part"), size: 4} }
	old := &exportJob{ref: "old", built: true, complete: now, parts: []*exportPart{part()}}
	s.Advance(2 * time.Minute)
	fresh := &exportJob{ref: "fresh", built: true, complete: s.now(), parts: []*exportPart{part()}}
	s.mu.Lock()
	s.st.exports().jobs["old"], s.st.exports().jobs["fresh"] = old, fresh
	running := s.runningExports(ctxID{}, s.now())
	s.mu.Unlock()
	if old.parts != nil || fresh.parts == nil || running != 0 {
		t.Errorf("after the sweep: expired parts %v, fresh parts %v, %d running", old.parts, fresh.parts, running)
	}
}
