package ksefsync

import (
	"bytes"
	"fmt"
	"testing"
)

// The spool reader returns each file whole, whether the files are read in
// the order they were written (sequential reads) or not (seeks), and
// reports a span past the end.
func TestSpoolReader(t *testing.T) {
	var spool bytes.Buffer
	var spans []span
	for i := range 500 {
		doc := bytes.Repeat([]byte(fmt.Sprintf("<f%d/>", i)), 1+i%97)
		spans = append(spans, span{int64(spool.Len()), int64(len(doc))})
		spool.Write(doc)
	}
	data := spool.Bytes()
	orders := map[string][]int{"written": {}, "mixed": {}}
	for i := range spans {
		orders["written"] = append(orders["written"], i)
		orders["mixed"] = append(orders["mixed"], (i*7)%len(spans)) // 7 is prime to 500
	}
	for name, order := range orders {
		r := newSpoolReader(bytes.NewReader(data), int64(len(data)))
		for _, i := range order {
			sp := spans[i]
			got, err := r.read(sp)
			if err != nil || !bytes.Equal(got, data[sp.off:sp.off+sp.n]) {
				t.Fatalf("%s order, file %d: %q, %v", name, i, got, err)
			}
		}
	}
	r := newSpoolReader(bytes.NewReader(data), int64(len(data)))
	if _, err := r.read(span{int64(len(data)) - 3, 10}); err == nil {
		t.Fatal("a span past the end was read")
	}
}
