package batchpack

import "github.com/klauspost/compress/flate"

// deflateLevel is the level of Deflate. klauspost/compress/flate at its
// fastest levels compresses invoice XML about twice as fast as
// compress/flate's BestSpeed and slightly smaller (BenchmarkDeflate).
const deflateLevel = 1

// newFlateWriter returns the deflate writer of a worker: fast deflate, or
// stored blocks for Store.
func newFlateWriter(c Compression) flateWriter {
	level := deflateLevel
	if c == Store {
		level = flate.NoCompression
	}
	w, err := flate.NewWriter(nil, level)
	if err != nil {
		panic(err) // unreachable: the level is valid
	}
	return w
}
