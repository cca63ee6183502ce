// Package sqlitestore is the embedded [ksefsync.Store]: one SQLite file
// (pure-Go driver modernc.org/sqlite, so the CLI stays a static binary) in
// WAL mode (synchronous=NORMAL; 16 KB pages for a new file). Each package
// of invoices and its checkpoint commit in one transaction, so a crash at
// any point resumes exactly. The invoices of a package are read and
// prepared on their own goroutine while the previous ones are inserted.
//
// Streams are claimed within the process; two processes syncing one file
// stay correct (a commit whose checkpoint another writer moved fails with
// [ksefsync.ErrCheckpointMoved] and writes nothing) but do double work.
// Several workers sharing the work belong on ksefsync/pgstore.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/internal/sqlq"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// timeFormat has a fixed width, so that text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(timeFormat, s)
}

// migrations are applied in order; version n is migrations[n-1]. A later
// version appends, never edits.
var migrations = []string{
	`CREATE TABLE invoices (
		ksef_number TEXT PRIMARY KEY,
		invoice_number TEXT NOT NULL,
		seller_nip TEXT NOT NULL,
		seller_name TEXT NOT NULL,
		buyer_id_type TEXT NOT NULL,
		buyer_id TEXT NOT NULL,
		buyer_name TEXT NOT NULL,
		issue_date TEXT NOT NULL,
		invoicing_date TEXT NOT NULL,
		acquisition_date TEXT NOT NULL,
		permanent_storage_date TEXT NOT NULL,
		currency TEXT NOT NULL,
		net INTEGER NOT NULL,
		vat INTEGER NOT NULL,
		gross INTEGER NOT NULL,
		invoice_type TEXT NOT NULL,
		form_code TEXT NOT NULL,
		metadata TEXT NOT NULL,
		xml BLOB NOT NULL,
		stored_at TEXT NOT NULL
	);
	CREATE INDEX invoices_storage ON invoices(permanent_storage_date, ksef_number);
	CREATE INDEX invoices_seller ON invoices(seller_nip);
	CREATE INDEX invoices_buyer ON invoices(buyer_id);
	CREATE INDEX invoices_issue ON invoices(issue_date);
	CREATE TABLE invoice_streams (
		context_id TEXT NOT NULL,
		subject_type TEXT NOT NULL,
		ksef_number TEXT NOT NULL REFERENCES invoices(ksef_number),
		PRIMARY KEY (context_id, subject_type, ksef_number)
	) WITHOUT ROWID;
	CREATE INDEX invoice_streams_number ON invoice_streams(ksef_number);
	CREATE TABLE checkpoints (
		context_id TEXT NOT NULL,
		subject_type TEXT NOT NULL,
		kind TEXT NOT NULL,
		next_from TEXT NOT NULL,
		hwm TEXT NOT NULL,
		range_end TEXT NOT NULL,
		updated_at TEXT NOT NULL,
		PRIMARY KEY (context_id, subject_type, kind)
	);`,
}

// Store is an SQLite [ksefsync.Store].
type Store struct {
	db *sql.DB

	mu      sync.Mutex
	claimed map[ksefsync.StreamKey]bool
}

var _ ksefsync.Store = (*Store)(nil)

// Open opens (creating it when missing) the SQLite file at path, switches
// it to WAL and applies the migrations it lacks.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := create(ctx, path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "cache_size(-65536)") // 64 MB: a package of 10,000 invoices commits without spilling
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	s := &Store{db: db, claimed: map[ksefsync.StreamKey]bool{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// pageSize is the page size of a new file: an invoice row of a few KB
// fills a 4 KB page (SQLite's default) alone, and each page is a write
// call into the WAL and another at the checkpoint. An existing file keeps
// its own.
const pageSize = 16384

// create gives a missing or empty file its page size before it switches
// to WAL (the driver runs the DSN's pragmas in alphabetical order, and a
// database in WAL mode keeps its page size).
func create(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 || err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil // Open reports what is wrong with the file
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	defer conn.Close()
	for _, p := range []string{"PRAGMA page_size = " + strconv.Itoa(pageSize), "PRAGMA journal_mode = WAL"} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("sqlitestore: %s: %w", p, err)
		}
	}
	return nil
}

// DB returns the underlying database (for queries of your own).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// SchemaVersion returns the highest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("sqlitestore: the store has schema version %d, newer than this program knows (%d)", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("sqlitestore: migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)`, v, fmtTime(time.Now())); err != nil {
			return fmt.Errorf("sqlitestore: migration %d: %w", v, err)
		}
	}
	return tx.Commit()
}

// Claim claims a stream within this process.
func (s *Store) Claim(ctx context.Context, key ksefsync.StreamKey) (ksefsync.Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimed[key] {
		return nil, ksefsync.ErrStreamBusy
	}
	s.claimed[key] = true
	return &stream{s: s, key: key}, nil
}

type stream struct {
	s        *Store
	key      ksefsync.StreamKey
	last     string // next_from last read or committed ("" none)
	read     bool
	released bool
}

func (st *stream) Release() error {
	st.s.mu.Lock()
	defer st.s.mu.Unlock()
	if !st.released {
		st.released = true
		delete(st.s.claimed, st.key)
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readCheckpoint(ctx context.Context, q querier, key ksefsync.StreamKey) (cp ksefsync.Checkpoint, raw string, ok bool, err error) {
	var from, hwm, end string
	err = q.QueryRowContext(ctx, `SELECT next_from, hwm, range_end FROM checkpoints WHERE context_id = ? AND subject_type = ? AND kind = ?`,
		key.Context, string(key.SubjectType), key.Kind).Scan(&from, &hwm, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return cp, "", false, nil
	}
	if err != nil {
		return cp, "", false, fmt.Errorf("sqlitestore: checkpoint: %w", err)
	}
	if cp.From, err = parseTime(from); err == nil {
		if cp.HWM, err = parseTime(hwm); err == nil {
			cp.End, err = parseTime(end)
		}
	}
	if err != nil {
		return cp, "", false, fmt.Errorf("sqlitestore: checkpoint: %w", err)
	}
	return cp, from, true, nil
}

func (st *stream) Checkpoint(ctx context.Context) (ksefsync.Checkpoint, bool, error) {
	cp, raw, ok, err := readCheckpoint(ctx, st.s.db, st.key)
	if err == nil {
		st.last, st.read = raw, true
	}
	return cp, ok, err
}

func (st *stream) Commit(ctx context.Context, next ksefsync.Checkpoint, invoices iter.Seq2[*ksefsync.Invoice, error]) (res ksefsync.CommitResult, err error) {
	if !st.read {
		if _, _, err := st.Checkpoint(ctx); err != nil {
			return res, err
		}
	}
	tx, err := st.s.db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("sqlitestore: commit: %w", err)
	}
	defer tx.Rollback()
	_, raw, _, err := readCheckpoint(ctx, tx, st.key)
	if err != nil {
		return res, err
	}
	if raw != st.last {
		return res, ksefsync.ErrCheckpointMoved
	}
	insInv, err := tx.PrepareContext(ctx, `INSERT INTO invoices(`+sqlq.Columns+`, xml, stored_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(ksef_number) DO NOTHING`)
	if err != nil {
		return res, fmt.Errorf("sqlitestore: commit: %w", err)
	}
	defer insInv.Close()
	insLink, err := tx.PrepareContext(ctx, `INSERT INTO invoice_streams(context_id, subject_type, ksef_number) VALUES (?,?,?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return res, fmt.Errorf("sqlitestore: commit: %w", err)
	}
	defer insLink.Close()
	now := fmtTime(time.Now())
	next2, stop := sqlq.Ahead(invoices)
	defer stop()
	for {
		batch, err := next2()
		if err != nil {
			return res, err
		}
		if batch == nil {
			break
		}
		for i := range batch {
			p := &batch[i]
			r := &p.Row
			if _, err := insInv.ExecContext(ctx, r.KSeFNumber, r.InvoiceNumber, r.SellerNIP, r.SellerName, r.BuyerIDType, r.BuyerID, r.BuyerName,
				r.IssueDate, fmtTime(r.InvoicingDate), fmtTime(r.AcquisitionDate), fmtTime(r.PermanentStorageDate), r.Currency,
				r.Net, r.VAT, r.Gross, r.InvoiceType, r.FormCode, p.Meta, p.Invoice.XML, now); err != nil {
				return res, fmt.Errorf("sqlitestore: %s: %w", r.KSeFNumber, err)
			}
			n, err := insLink.ExecContext(ctx, st.key.Context, string(st.key.SubjectType), r.KSeFNumber)
			if err != nil {
				return res, fmt.Errorf("sqlitestore: %s: %w", r.KSeFNumber, err)
			}
			if k, _ := n.RowsAffected(); k > 0 {
				res.New++
			}
			res.Seen++
		}
	}
	from := fmtTime(next.From)
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints(context_id, subject_type, kind, next_from, hwm, range_end, updated_at) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT(context_id, subject_type, kind) DO UPDATE SET next_from = excluded.next_from, hwm = excluded.hwm, range_end = excluded.range_end, updated_at = excluded.updated_at`,
		st.key.Context, string(st.key.SubjectType), st.key.Kind, from, fmtTime(next.HWM), fmtTime(next.End), now); err != nil {
		return res, fmt.Errorf("sqlitestore: checkpoint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return ksefsync.CommitResult{}, fmt.Errorf("sqlitestore: commit: %w", err)
	}
	st.last = from
	return res, nil
}

func placeholder(int) string { return "?" }

func scanRow(sc interface{ Scan(...any) error }, extra ...any) (ksefsync.StoredInvoice, error) {
	var r ksefsync.StoredInvoice
	var inv, acq, ps string
	dest := append([]any{&r.KSeFNumber, &r.InvoiceNumber, &r.SellerNIP, &r.SellerName, &r.BuyerIDType, &r.BuyerID, &r.BuyerName,
		&r.IssueDate, &inv, &acq, &ps, &r.Currency, &r.Net, &r.VAT, &r.Gross, &r.InvoiceType, &r.FormCode, &r.Metadata}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return r, err
	}
	var err error
	if r.InvoicingDate, err = parseTime(inv); err == nil {
		if r.AcquisitionDate, err = parseTime(acq); err == nil {
			r.PermanentStorageDate, err = parseTime(ps)
		}
	}
	return r, err
}

// Invoices lists the stored invoices matching f.
func (s *Store) Invoices(ctx context.Context, f ksefsync.Filter) iter.Seq2[ksefsync.StoredInvoice, error] {
	return func(yield func(ksefsync.StoredInvoice, error) bool) {
		where, args := sqlq.Where(f, placeholder)
		rows, err := s.db.QueryContext(ctx, `SELECT `+sqlq.Columns+` FROM invoices`+where+` ORDER BY permanent_storage_date, ksef_number`+sqlq.Limit(f), args...)
		if err != nil {
			yield(ksefsync.StoredInvoice{}, fmt.Errorf("sqlitestore: %w", err))
			return
		}
		defer rows.Close()
		sqlq.Stream(rows, func(r *sql.Rows) (ksefsync.StoredInvoice, error) { return scanRow(r) }, wrapErr, yield)
	}
}

// wrapErr names the store in an error.
func wrapErr(err error) error { return fmt.Errorf("sqlitestore: %w", err) }

// Invoice returns one invoice with its XML.
func (s *Store) Invoice(ctx context.Context, ksefNumber string) (*ksefsync.StoredInvoice, error) {
	var xml []byte
	r, err := scanRow(s.db.QueryRowContext(ctx, `SELECT `+sqlq.Columns+`, xml FROM invoices WHERE ksef_number = ?`, ksefNumber), &xml)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ksefsync.ErrNotFound, ksefNumber)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	r.XML = xml
	return &r, nil
}

// Totals sums the invoices matching f per currency.
func (s *Store) Totals(ctx context.Context, f ksefsync.Filter) ([]ksefsync.Total, error) {
	where, args := sqlq.Where(f, placeholder)
	rows, err := s.db.QueryContext(ctx, `SELECT currency, COUNT(*), COALESCE(SUM(net),0), COALESCE(SUM(vat),0), COALESCE(SUM(gross),0) FROM invoices`+where+` GROUP BY currency ORDER BY currency`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	defer rows.Close()
	var out []ksefsync.Total
	for rows.Next() {
		var t ksefsync.Total
		if err := rows.Scan(&t.Currency, &t.Count, &t.Net, &t.VAT, &t.Gross); err != nil {
			return nil, fmt.Errorf("sqlitestore: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Checkpoints lists the checkpoint of every stream.
func (s *Store) Checkpoints(ctx context.Context) ([]ksefsync.StreamCheckpoint, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.context_id, c.subject_type, c.kind, c.next_from, c.hwm, c.range_end, c.updated_at,
		(SELECT COUNT(*) FROM invoice_streams s WHERE s.context_id = c.context_id AND s.subject_type = c.subject_type)
		FROM checkpoints c ORDER BY c.context_id, c.subject_type, c.kind`)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	defer rows.Close()
	var out []ksefsync.StreamCheckpoint
	for rows.Next() {
		var c ksefsync.StreamCheckpoint
		var st, from, hwm, end, upd string
		if err := rows.Scan(&c.Key.Context, &st, &c.Key.Kind, &from, &hwm, &end, &upd, &c.Invoices); err != nil {
			return nil, fmt.Errorf("sqlitestore: %w", err)
		}
		c.Key.SubjectType = ksef.InvoiceQuerySubjectType(st)
		c.Checkpoint.From, _ = parseTime(from)
		c.Checkpoint.HWM, _ = parseTime(hwm)
		c.Checkpoint.End, _ = parseTime(end)
		c.UpdatedAt, _ = parseTime(upd)
		out = append(out, c)
	}
	return out, rows.Err()
}
