package ksefsync

import (
	"context"
	"errors"
	"iter"
	"math"
	"time"

	"github.com/ksef2/ksef"
)

// SubjectTypes are the four subject types KSeF keeps one invoice stream
// for in each context: Subject1 (seller), Subject2 (buyer), Subject3 (third
// party) and SubjectAuthorized.
var SubjectTypes = []ksef.InvoiceQuerySubjectType{
	ksef.InvoiceQuerySubjectTypeSubject1,
	ksef.InvoiceQuerySubjectTypeSubject2,
	ksef.InvoiceQuerySubjectTypeSubject3,
	ksef.InvoiceQuerySubjectTypeSubjectAuthorized,
}

// KindIncremental is the [StreamKey.Kind] of the incremental (HWM) stream
// of a context and subject type. A backfill's kind starts with
// "backfill@" followed by the start of its range (see [BackfillKind]).
const KindIncremental = ""

// BackfillKind returns the [StreamKey.Kind] of a backfill starting at from.
// Each backfill keeps its own checkpoint, so that it never moves the
// incremental one.
func BackfillKind(from time.Time) string {
	return "backfill@" + from.UTC().Format(time.RFC3339Nano)
}

// StreamKey names one stream of invoices a store keeps a checkpoint for.
type StreamKey struct {
	// Context is the context identifier the invoices are read in (a NIP).
	Context string
	// SubjectType is the role of the context in the invoices.
	SubjectType ksef.InvoiceQuerySubjectType
	// Kind is [KindIncremental] or a [BackfillKind].
	Kind string
}

// String returns "context/subjectType" and the kind when it is not the
// incremental one.
func (k StreamKey) String() string {
	s := k.Context + "/" + string(k.SubjectType)
	if k.Kind != KindIncremental {
		s += "/" + k.Kind
	}
	return s
}

// Checkpoint is where a stream continues: the next window starts at From.
type Checkpoint struct {
	// From is the start of the next window (PermanentStorage date).
	From time.Time
	// HWM is the last permanentStorageHwmDate KSeF reported (zero when none
	// was reported yet). Invoices stored up to it are final.
	HWM time.Time
	// End is the end of a backfill's range (zero for the incremental stream).
	End time.Time
}

// Invoice is one invoice as read from KSeF: its metadata and its XML.
type Invoice struct {
	// Metadata is the invoice's entry of the export's _metadata.json (or
	// of a metadata query).
	Metadata ksef.InvoiceMetadata
	// XML is the invoice document as KSeF stores it.
	XML []byte
}

// Window is one request of a stream to its [Source]: every invoice of the
// subject type with a PermanentStorage date from From (inclusive), up to
// To when it is set and never past KSeF's permanent-storage high-water mark
// (restrictToPermanentStorageHwmDate).
type Window struct {
	// Context is the context identifier (NIP).
	Context string
	// SubjectType is the stream's subject type.
	SubjectType ksef.InvoiceQuerySubjectType
	// From is the start of the window.
	From time.Time
	// To is the end of the window; nil asks for the biggest coherent
	// package KSeF builds from From.
	To *time.Time
}

// Package is what a [Source] returns for a [Window]: KSeF's answer about
// the package and its invoices, streamed. The source keeps at most a few
// invoices in memory, however big the package.
type Package struct {
	// Invoices yields the invoices of the package in any order. A source
	// releases what it holds (temporary files, connections) when the
	// iteration ends, also when the caller stops early.
	Invoices iter.Seq2[*Invoice, error]
	// IsTruncated reports that KSeF stopped the package early (10,000
	// invoices or 1 GB): the next window starts at LastPermanentStorageDate.
	IsTruncated bool
	// LastPermanentStorageDate is the PermanentStorage date of the last
	// invoice in the package (set when it is truncated).
	LastPermanentStorageDate *time.Time
	// PermanentStorageHwmDate is KSeF's high-water mark when the package was
	// built: every invoice stored up to it is in this or an earlier window.
	PermanentStorageHwmDate *time.Time
}

// Source reads invoice packages from KSeF (or from a fake in tests). The
// adapter onto the SDK exports each window with dateType PermanentStorage
// and restrictToPermanentStorageHwmDate set.
type Source interface {
	// Fetch returns the package of one window. It returns an error matching
	// [ErrAheadOfHWM] when From is past KSeF's high-water mark (nothing to
	// read yet), and an error matching ksef.ErrRateLimited, carrying the
	// delay as a *ksef.APIError or *ksef.PacingError, when the rate limit
	// is reached.
	Fetch(ctx context.Context, w Window) (*Package, error)
}

// ErrAheadOfHWM is returned by a [Source] when a window starts after KSeF's
// permanent-storage high-water mark (query 400/21183, export status 420).
var ErrAheadOfHWM = errors.New("ksefsync: window starts after the permanent-storage high-water mark")

// ErrStreamBusy is returned by [Store.Claim] when another worker holds the
// stream.
var ErrStreamBusy = errors.New("ksefsync: stream claimed by another worker")

// ErrCheckpointMoved is returned by [Stream.Commit] when the stored
// checkpoint is no longer the one the stream read: another writer moved it
// (two processes syncing one SQLite file). Nothing was written; read the
// checkpoint again.
var ErrCheckpointMoved = errors.New("ksefsync: checkpoint moved by another writer")

// Store keeps invoices and the checkpoint of every stream.
// Implementations: ksefsync/sqlitestore and ksefsync/pgstore.
type Store interface {
	// Claim gives the caller exclusive use of a stream until Release. It
	// returns an error matching [ErrStreamBusy] when another worker (in this
	// or another process sharing the store) holds it.
	Claim(ctx context.Context, key StreamKey) (Stream, error)
	// Reader gives read access to what the store holds.
	Reader
	// Close closes the store.
	Close() error
}

// Stream is a claimed stream of a [Store].
type Stream interface {
	// Checkpoint returns the stored checkpoint; ok is false for a stream
	// never committed.
	Checkpoint(ctx context.Context) (cp Checkpoint, ok bool, err error)
	// Commit stores the invoices (deduplicated by KSeF number) and sets the
	// checkpoint to next in one transaction: after a crash at any point the
	// store holds either all of it or none of it. It fails with
	// [ErrCheckpointMoved], writing nothing, when the checkpoint is no longer
	// the one last read or committed through this Stream.
	Commit(ctx context.Context, next Checkpoint, invoices iter.Seq2[*Invoice, error]) (CommitResult, error)
	// Release ends the claim.
	Release() error
}

// CommitResult counts what a [Stream.Commit] stored.
type CommitResult struct {
	// New counts invoices the stream did not hold before.
	New int
	// Seen counts invoices of the package in all.
	Seen int
}

// Reader reads what a store holds.
type Reader interface {
	// Invoices lists stored invoices matching f, ordered by PermanentStorage
	// date and KSeF number, without their XML.
	Invoices(ctx context.Context, f Filter) iter.Seq2[StoredInvoice, error]
	// Invoice returns one invoice with its XML; an error matching
	// [ErrNotFound] when the store does not hold it.
	Invoice(ctx context.Context, ksefNumber string) (*StoredInvoice, error)
	// Totals sums the invoices matching f per currency.
	Totals(ctx context.Context, f Filter) ([]Total, error)
	// Checkpoints lists the checkpoints of every stream.
	Checkpoints(ctx context.Context) ([]StreamCheckpoint, error)
}

// ErrNotFound is returned by [Reader.Invoice] for an unknown KSeF number.
var ErrNotFound = errors.New("ksefsync: invoice not in the store")

// Filter selects stored invoices. Zero fields select everything.
type Filter struct {
	// Context keeps the invoices read in this context.
	Context string
	// SubjectType keeps the invoices read for this subject type.
	SubjectType ksef.InvoiceQuerySubjectType
	// SellerNIP keeps the invoices of this seller.
	SellerNIP string
	// BuyerID keeps the invoices of this buyer identifier.
	BuyerID string
	// IssuedFrom and IssuedTo (YYYY-MM-DD, inclusive) bound the issue date.
	IssuedFrom, IssuedTo string
	// Limit caps the number listed (0: no cap).
	Limit int
}

// StoredInvoice is an invoice as a store holds it: the key fields of its
// metadata, amounts in minor units (grosze), its metadata and its XML.
type StoredInvoice struct {
	KSeFNumber           string
	InvoiceNumber        string
	SellerNIP            string
	SellerName           string
	BuyerIDType          string
	BuyerID              string
	BuyerName            string
	IssueDate            string
	InvoicingDate        time.Time
	AcquisitionDate      time.Time
	PermanentStorageDate time.Time
	Currency             string
	// Net, VAT and Gross are in minor units (1/100 of the currency).
	Net, VAT, Gross int64
	InvoiceType     string
	FormCode        string
	// Metadata is the invoice's metadata as JSON (InvoiceMetadata).
	Metadata []byte
	// XML is the invoice (only from [Reader.Invoice]).
	XML []byte
}

// Total sums invoices of one currency (amounts in minor units).
type Total struct {
	Currency        string
	Count           int64
	Net, VAT, Gross int64
}

// StreamCheckpoint is the checkpoint of one stream.
type StreamCheckpoint struct {
	Key        StreamKey
	Checkpoint Checkpoint
	UpdatedAt  time.Time
	// Invoices counts the invoices the stream's context and subject type
	// hold (over every kind).
	Invoices int64
}

// MinorUnits converts an amount of the metadata to minor units (grosze),
// rounding half away from zero.
func MinorUnits(v float64) int64 { return int64(math.Round(v * 100)) }

// Row returns the key fields of an invoice as a store keeps them (without
// Metadata JSON and XML).
func Row(inv *Invoice) StoredInvoice {
	m := &inv.Metadata
	return StoredInvoice{
		KSeFNumber:           m.KSeFNumber,
		InvoiceNumber:        m.InvoiceNumber,
		SellerNIP:            m.Seller.Nip,
		SellerName:           m.Seller.Name,
		BuyerIDType:          string(m.Buyer.Identifier.Type),
		BuyerID:              m.Buyer.Identifier.Value,
		BuyerName:            m.Buyer.Name,
		IssueDate:            m.IssueDate,
		InvoicingDate:        m.InvoicingDate.UTC(),
		AcquisitionDate:      m.AcquisitionDate.UTC(),
		PermanentStorageDate: m.PermanentStorageDate.UTC(),
		Currency:             m.Currency,
		Net:                  MinorUnits(m.NetAmount),
		VAT:                  MinorUnits(m.VatAmount),
		Gross:                MinorUnits(m.GrossAmount),
		InvoiceType:          string(m.InvoiceType),
		FormCode:             m.FormCode.SystemCode,
	}
}

// Searcher is a [Reader] that also answers the questions of an assistant
// (`ksef mcp`) in its own query language: both stores of this module
// implement it.
type Searcher interface {
	Reader
	// Search streams the stored invoices matching f, ordered by issue
	// date and KSeF number, without their XML.
	Search(ctx context.Context, f SearchFilter) iter.Seq2[Found, error]
	// LastSync estimates when the last sync run began storing invoices:
	// the earliest store time of the newest run of commits in which no two
	// consecutive commits are more than gap apart. It looks at the latest
	// 10,000 distinct commit times at most, and returns zero for an empty
	// store.
	LastSync(ctx context.Context, gap time.Duration) (time.Time, error)
}

// SearchFilter selects stored invoices for [Searcher.Search]. Zero fields
// select everything.
type SearchFilter struct {
	// NIP keeps the invoices whose seller NIP or buyer identifier is NIP;
	// Role "seller" or "buyer" keeps only that side.
	NIP, Role string
	// IssuedFrom and IssuedTo (YYYY-MM-DD, inclusive) bound the issue date.
	IssuedFrom, IssuedTo string
	// MinGross and MaxGross bound the gross amount (minor units, inclusive).
	MinGross, MaxGross *int64
	// InvoiceType and Currency keep one invoice type and one currency
	// (case insensitive).
	InvoiceType, Currency string
	// StoredSince keeps the invoices the store got at or after it.
	StoredSince time.Time
}

// Found is an invoice found by [Searcher.Search]: its key fields (without
// the XML) and when the store got it.
type Found struct {
	StoredInvoice
	StoredAt time.Time
}

// LastRunStart returns the start of the newest run in times, store times
// newest first: the earliest of the leading times in which no two
// consecutive ones are more than gap apart (zero for none). The stores'
// LastSync use it.
func LastRunStart(times []time.Time, gap time.Duration) time.Time {
	var start time.Time
	for _, t := range times {
		if !start.IsZero() && start.Sub(t) > gap {
			break
		}
		start = t
	}
	return start
}
