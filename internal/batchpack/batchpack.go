package batchpack

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ksef2/ksef/internal/envelope"
)

// KSeF limits of one batch session (ksef-facts.md §5 and §7).
const (
	// MaxPartSize is the largest part of the plain archive, before
	// encryption: 100 MB.
	MaxPartSize int64 = 100_000_000
	// MaxParts is the largest number of parts of one package.
	MaxParts = 50
	// MaxArchiveSize is the largest plain archive (batchFile.fileSize).
	MaxArchiveSize int64 = 5_000_000_000
	// MaxInvoices is the largest number of invoices in one session.
	MaxInvoices = 10_000
	// MaxInvoiceSize is the largest invoice without attachments: 1 MB.
	MaxInvoiceSize int64 = 1_000_000
	// MaxInvoiceSizeWithAttachments is the largest invoice with
	// attachments (Zalacznik), where the context allows them: 3 MB.
	MaxInvoiceSizeWithAttachments int64 = 3_000_000
)

// Sentinel errors, wrapped by [*InvoiceError] or returned as they are;
// test with errors.Is.
var (
	// ErrInvoiceTooLarge: an invoice exceeds the per-invoice size limit.
	ErrInvoiceTooLarge = errors.New("invoice larger than KSeF accepts")
	// ErrEmptyInvoice: an invoice has no bytes.
	ErrEmptyInvoice = errors.New("invoice is empty")
	// ErrFileName: an invoice has no usable file name inside the archive.
	ErrFileName = errors.New("invalid file name in the archive")
	// ErrDuplicateName: two invoices of one package have the same file name.
	ErrDuplicateName = errors.New("duplicate file name in the package")
	// ErrTooManyInvoices: the package would hold more invoices than a
	// session accepts.
	ErrTooManyInvoices = errors.New("too many invoices for one batch session")
	// ErrArchiveTooLarge: the plain archive would exceed the size a session
	// accepts.
	ErrArchiveTooLarge = errors.New("archive larger than one batch session accepts")
	// ErrTooManyParts: the archive would need more parts than a session
	// accepts.
	ErrTooManyParts = errors.New("archive needs more parts than one batch session accepts")
	// ErrNoInvoices: nothing to pack (no input, or every invoice rejected).
	ErrNoInvoices = errors.New("batchpack: no invoices to pack")
)

// InvoiceError reports an invoice that could not be packed: unreadable,
// too large, refused by the validation hook, or one that would break a
// limit of the package.
type InvoiceError struct {
	Index int    // position of the invoice in the input, from 0
	Name  string // the invoice's name as given
	Err   error  // the cause
}

// Error implements error; the message names the file.
func (e *InvoiceError) Error() string {
	return fmt.Sprintf("batchpack: invoice %d %q: %v", e.Index+1, e.Name, e.Err)
}

// Unwrap returns the cause.
func (e *InvoiceError) Unwrap() error { return e.Err }

// Format is the archive format (compressionType of the batch file).
type Format int

const (
	// Zip is a ZIP archive, the KSeF default.
	Zip Format = iota
	// TarGz is a gzip-compressed tar archive.
	TarGz
)

// String returns the value of the API field compressionType: "Zip" or
// "TarGz".
func (f Format) String() string {
	switch f {
	case Zip:
		return "Zip"
	case TarGz:
		return "TarGz"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// Compression selects how invoices are compressed in the archive.
type Compression int

const (
	// Deflate compresses with fast deflate (the default).
	Deflate Compression = iota
	// Store writes invoices uncompressed (ZIP stored entries; for TarGz,
	// deflate stored blocks).
	Store
)

// Digest is a SHA-256 digest.
type Digest [sha256.Size]byte

// Base64 returns the digest in standard Base64 with padding, the form of
// the hash fields of the KSeF API (fileHash, invoiceHash).
func (d Digest) Base64() string { return base64.StdEncoding.EncodeToString(d[:]) }

// String returns [Digest.Base64].
func (d Digest) String() string { return d.Base64() }

// Invoice is one invoice to pack. Exactly one source is used: Err (the
// invoice is rejected with it), then Data, then Open.
type Invoice struct {
	// Name is the file name of the invoice inside the archive (KSeF
	// reports it back as invoiceFileName). A slash-separated relative path
	// is kept; names must be unique within a package.
	Name string
	// Data is the invoice XML.
	Data []byte
	// Open returns a reader of the invoice XML; it is called once, by a
	// worker goroutine, and the reader is closed after reading.
	Open func() (io.ReadCloser, error)
	// Err, when set, rejects the invoice with this error (an input that
	// could not be read, say).
	Err error
}

// File returns the invoice read from path, named by the file's base name.
func File(path string) Invoice {
	return Invoice{Name: filepath.Base(path), Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// Files returns the invoices read from the given files, in order, named by
// their base names.
func Files(paths ...string) iter.Seq[Invoice] {
	return func(yield func(Invoice) bool) {
		for _, p := range paths {
			if !yield(File(p)) {
				return
			}
		}
	}
}

// Bytes returns an invoice with the given name and XML.
func Bytes(name string, data []byte) Invoice { return Invoice{Name: name, Data: data} }

// Reader returns an invoice read from r (once).
func Reader(name string, r io.Reader) Invoice {
	return Invoice{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// Options configures [Pack] and [PackAll]. The zero value packs a ZIP with
// fast deflate under the KSeF limits, with a random key, into the system's
// temporary directory.
type Options struct {
	// Format is the archive format (default Zip).
	Format Format
	// Compression is Deflate (default) or Store.
	Compression Compression
	// Key encrypts the package made by Pack. When nil, NewKey is called.
	// PackAll always calls NewKey, once per package: two sessions never
	// share a key and IV.
	Key *envelope.Key
	// NewKey returns the key of a new package (default envelope.NewKey).
	NewKey func() (*envelope.Key, error)
	// Dir is where the encrypted parts are written, in a new
	// subdirectory per package (default os.TempDir()).
	Dir string
	// Validate, when set, checks every invoice before it is packed (the
	// schema validators of fa3, fa2, farr fit). It is called from several
	// goroutines at once.
	Validate func(name string, data []byte) error
	// SkipInvalid leaves out the invoices that fail (unreadable, too
	// large, refused by Validate, duplicate name) and lists them in
	// Package.Rejected; by default the first such invoice ends packing
	// with an [*InvoiceError].
	SkipInvalid bool
	// AllowAttachments raises the per-invoice limit to
	// MaxInvoiceSizeWithAttachments for invoices carrying attachments
	// (a Zalacznik element), as for contexts with attachments enabled.
	AllowAttachments bool
	// Limits override the KSeF limits (for tests, or the lower limits of
	// GET /limits/context); zero fields take the defaults above.
	PartSize                      int64 // plain bytes per part (MaxPartSize)
	MaxParts                      int   // parts per package (MaxParts)
	MaxArchiveSize                int64 // plain archive bytes (MaxArchiveSize)
	MaxInvoices                   int   // invoices per package (MaxInvoices)
	MaxInvoiceSize                int64 // bytes per invoice (MaxInvoiceSize)
	MaxInvoiceSizeWithAttachments int64 // bytes per invoice with attachments
	// Workers is the number of goroutines reading, hashing and compressing
	// invoices (default GOMAXPROCS).
	Workers int
	// ModTime is the modification time written into the archive (default
	// the time packing starts).
	ModTime time.Time
	// Progress, when set, is called after each invoice is packed or
	// rejected, in input order, from the goroutine running Pack or the
	// PackAll loop. It must be quick.
	Progress func(Progress)
}

// Progress reports how far packing has come, counted over the whole input
// (all packages of PackAll).
type Progress struct {
	Invoices int   // invoices packed
	Rejected int   // invoices rejected (Options.SkipInvalid)
	Bytes    int64 // XML bytes of the packed invoices
	Packages int   // packages finished
}

// Archive describes the whole plain archive (batchFile).
type Archive struct {
	Size   int64  // fileSize
	SHA256 Digest // fileHash
}

// Part is one encrypted part of the archive (fileParts[]).
type Part struct {
	Ordinal   int    // ordinalNumber, from 1
	Size      int64  // fileSize: bytes of the encrypted part
	SHA256    Digest // fileHash: SHA-256 of the encrypted part
	PlainSize int64  // bytes of the archive in this part, before encryption
	Path      string // the file holding the encrypted bytes
}

// Open opens the encrypted part for reading (an upload body).
func (p Part) Open() (*os.File, error) { return os.Open(p.Path) }

// InvoiceEntry is one packed invoice.
type InvoiceEntry struct {
	Index    int    // position of the invoice in the input, from 0
	Name     string // Invoice.Name as given
	FileName string // file name inside the archive (invoiceFileName)
	SHA256   Digest // SHA-256 of the XML (invoiceHash)
	Size     int64  // bytes of the XML
}

// Package is a packed, encrypted batch: what POST /sessions/batch declares
// and the parts to upload. Call Cleanup when the parts are no longer needed.
type Package struct {
	Format   Format
	Key      *envelope.Key  // the key and IV the parts are encrypted with
	Archive  Archive        // the whole plain archive
	Parts    []Part         // the encrypted parts, in order
	Invoices []InvoiceEntry // the packed invoices, in archive order
	// Rejected lists the invoices left out under Options.SkipInvalid.
	Rejected []*InvoiceError

	dir string
}

// Cleanup removes the package's files. It may be called more than once.
func (p *Package) Cleanup() error {
	if p == nil || p.dir == "" {
		return nil
	}
	err := os.RemoveAll(p.dir)
	p.dir = ""
	return err
}

// hasAttachment reports whether an FA(3) invoice carries attachments
// (a Zalacznik element, with or without a namespace prefix).
func hasAttachment(data []byte) bool {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("Zalacznik"))
		if j < 0 {
			return false
		}
		j += i
		if j > 0 && (data[j-1] == '<' || data[j-1] == ':') {
			return true
		}
		i = j + 1
	}
}
