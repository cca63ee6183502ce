package batchpack

import "compress/flate"

// newFlateWriter returns the deflate writer of a worker: fast deflate, or
// stored blocks for Store.
func newFlateWriter(c Compression) flateWriter {
	level := flate.BestSpeed
	if c == Store {
		level = flate.NoCompression
	}
	w, err := flate.NewWriter(nil, level)
	if err != nil {
		panic(err) // unreachable: the level is valid
	}
	return w
}
