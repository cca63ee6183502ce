// Package batchpack builds the encrypted packages of KSeF batch sessions in
// one streaming pass and in constant memory.
//
// [Pack] (one package) and [PackAll] (as many packages as the KSeF limits
// require, one per batch session) read invoices from an iterator of
// [Invoice] values (files, readers or bytes), check each against the KSeF
// size limit and an optional validation hook, write them into a ZIP
// (default) or TarGz archive, split the archive binarily into parts of at
// most 100,000,000 bytes before encryption, encrypt every part on its own
// with AES-256-CBC and PKCS#7 padding under the session key and IV
// (internal/envelope), and compute on the way:
//
//   - the size and SHA-256 of the whole plain archive (batchFile.fileSize,
//     batchFile.fileHash);
//   - the size and SHA-256 of every encrypted part (fileParts[]);
//   - the SHA-256 (invoiceHash) and archive file name (invoiceFileName) of
//     every invoice, which tie KSeF's per-invoice statuses back to the
//     source files.
//
// Everything is known when the pass ends, before the session is opened.
// The encrypted parts are spilled to temporary files (in a directory the
// caller may choose), never held in memory: memory use depends on the
// number of workers and the largest invoice (at most 3 MB), not on the
// size of the batch (BenchmarkPacker: a peak RSS of about 11 MiB packing
// 100 MiB in 1,024 invoices, 18 MiB packing 1 GiB in 10,000). Only
// per-invoice metadata grows with the batch (the entries, the names, the
// ZIP central directory: a few hundred bytes an invoice).
// [Package.Cleanup] removes the files.
//
// The work is spread over the CPUs (Options.Workers, default GOMAXPROCS)
// without moving data between them: the worker that reads an invoice also
// hashes it, compresses it (github.com/klauspost/compress/flate, about
// twice as fast as compress/flate on invoice XML, see BenchmarkDeflate),
// and then, taking turns with the other workers in input order, adds it to
// the archive hash, encrypts it and hashes and writes the ciphertext
// (three stages, each handed from entry to entry, so that one worker
// encrypts while another hashes). The writer goroutine only decides where
// each invoice goes. A ZIP holds one deflated entry per invoice (the ZIP
// records are written by this package, with ZIP64 offsets past 4 GiB); a
// TarGz is one gzip member whose deflate stream is the concatenation of
// independently compressed, sync-flushed segments (one per tar entry),
// which every inflater reads as a single stream. [Store] turns
// compression off.
//
// The local checks follow the KSeF documentation (ksef-facts.md §5 and §7):
// at most 10,000 invoices, 5,000,000,000 archive bytes and 50 parts per
// session, and 1,000,000 bytes per invoice (3,000,000 with attachments when
// the context allows them). Errors name the invoice that broke a limit and
// wrap the sentinel errors of this package (test with errors.Is) inside an
// [*InvoiceError].
//
// A [Package] fills POST /sessions/batch directly: batchFile.fileSize and
// fileHash are Archive.Size and Archive.SHA256[:], compressionType is
// Format.String(), fileParts[i] are Parts[i].Ordinal, Size and SHA256[:],
// and the encryption block comes from Key (Key.Wrap under the
// SymmetricKeyEncryption certificate, Key.IV). Each part is uploaded from
// Part.Open. InvoiceEntry.SHA256.Base64() and FileName match the
// invoiceHash and invoiceFileName of the session's invoice statuses.
package batchpack
