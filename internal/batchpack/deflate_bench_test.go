package batchpack

import (
	"bytes"
	stdflate "compress/flate"
	"io"
	"testing"

	kflate "github.com/klauspost/compress/flate"
)

// BenchmarkDeflate compares the deflate libraries on invoice XML, one
// invoice at a time as the workers compress: compress/flate and
// klauspost/compress/flate at their fastest levels. It reports the
// throughput and the compressed size in percent of the input.
func BenchmarkDeflate(b *testing.B) {
	g := newFA3Generator(b)
	var docs [][]byte
	var total int64
	r := newRand(1)
	for i := range 64 {
		d := g.invoice(i, 20_000+r.IntN(200_000), r)
		docs = append(docs, d)
		total += int64(len(d))
	}
	type lib struct {
		name string
		w    interface {
			io.WriteCloser
			Reset(io.Writer)
		}
	}
	sw, _ := stdflate.NewWriter(nil, stdflate.BestSpeed)
	kw1, _ := kflate.NewWriter(nil, 1)
	kw2, _ := kflate.NewWriter(nil, 2)
	for _, l := range []lib{{"stdlib-1", sw}, {"klauspost-1", kw1}, {"klauspost-2", kw2}} {
		b.Run(l.name, func(b *testing.B) {
			b.SetBytes(total)
			var out bytes.Buffer
			var n int64
			for b.Loop() {
				n = 0
				for _, d := range docs {
					out.Reset()
					l.w.Reset(&out)
					l.w.Write(d)
					l.w.Close()
					n += int64(out.Len())
				}
			}
			b.ReportMetric(100*float64(n)/float64(total), "%size")
		})
	}
}
