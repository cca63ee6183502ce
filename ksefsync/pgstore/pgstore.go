// Package pgstore is the PostgreSQL [ksefsync.Store] (pgx v5). Several
// workers — processes on one or several machines — can share one database:
// a worker claims a (context, subject type) stream with a session-level
// advisory lock (pg_try_advisory_lock) on the connection it then uses for
// every transaction of that stream, so no two workers fetch the same stream
// at once, and the lock goes away with the connection when a worker dies.
// Each package of invoices and its checkpoint commit in one transaction
// (the invoices arrive by COPY into a temporary table, then are merged,
// deduplicated by KSeF number).
//
// The tables live in the connection's search_path (add
// "search_path=NAME" to the DSN to keep them in their own schema).
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/internal/sqlq"
)

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
		invoicing_date TIMESTAMPTZ NOT NULL,
		acquisition_date TIMESTAMPTZ NOT NULL,
		permanent_storage_date TIMESTAMPTZ NOT NULL,
		currency TEXT NOT NULL,
		net BIGINT NOT NULL,
		vat BIGINT NOT NULL,
		gross BIGINT NOT NULL,
		invoice_type TEXT NOT NULL,
		form_code TEXT NOT NULL,
		metadata JSONB NOT NULL,
		xml BYTEA NOT NULL,
		stored_at TIMESTAMPTZ NOT NULL DEFAULT now()
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
	);
	CREATE INDEX invoice_streams_number ON invoice_streams(ksef_number);
	CREATE TABLE checkpoints (
		context_id TEXT NOT NULL,
		subject_type TEXT NOT NULL,
		kind TEXT NOT NULL,
		next_from TIMESTAMPTZ NOT NULL,
		hwm TIMESTAMPTZ,
		range_end TIMESTAMPTZ,
		updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
		PRIMARY KEY (context_id, subject_type, kind)
	);`,
}

// migrationLock is the advisory lock key held while migrating.
const migrationLock = 0x6b736566_73796e63 // "ksefsync"

// Store is a PostgreSQL [ksefsync.Store].
type Store struct {
	pool *pgxpool.Pool
}

var _ ksefsync.Store = (*Store)(nil)

// Open connects to the database of dsn (a postgres:// URL or key=value
// string) and applies the migrations it lacks.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("pgstore: cannot parse the connection string") // it may hold a password
	}
	// A claimed stream keeps its connection; leave room for the streams of
	// several contexts at once plus the readers (pool_max_conns overrides).
	if !strings.Contains(dsn, "pool_max_conns") && cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Pool returns the connection pool (for queries of your own).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// SchemaVersion returns the highest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	// one migrator at a time when several workers start together
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("pgstore: the store has schema version %d, newer than this program knows (%d)", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("pgstore: migration %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations(version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("pgstore: migration %d: %w", v, err)
		}
	}
	return tx.Commit(ctx)
}

// lockName names a stream's advisory lock. Advisory locks are shared by
// the whole database, so the server hashes the name together with the
// schema the tables live in (current_schema()): stores in two schemas of
// one database never block each other. Two streams whose keys collide
// (a 64-bit hash) only take turns.
func lockName(k ksefsync.StreamKey) string {
	return "ksefsync/" + k.Context + "/" + string(k.SubjectType) + "/" + k.Kind
}

// lockKeySQL is the advisory lock key of the stream named by $1.
const lockKeySQL = `hashtextextended(current_schema() || '/' || $1, 0)`

// Claim takes the stream's advisory lock on a connection of its own; it
// returns [ksefsync.ErrStreamBusy] when another session holds it.
func (s *Store) Claim(ctx context.Context, key ksefsync.StreamKey) (ksefsync.Stream, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+lockKeySQL+`)`, lockName(key)).Scan(&ok); err != nil {
		conn.Release()
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, ksefsync.ErrStreamBusy
	}
	return &stream{conn: conn, key: key}, nil
}

type stream struct {
	conn *pgxpool.Conn
	key  ksefsync.StreamKey
	last *time.Time // next_from last read or committed (nil: none)
	read bool
}

func (st *stream) Release() error {
	if st.conn == nil {
		return nil
	}
	conn := st.conn
	st.conn = nil
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+lockKeySQL+`)`, lockName(st.key)); err != nil {
		// the lock must not outlive the claim: drop the connection
		conn.Conn().Close(ctx)
		conn.Release()
		return fmt.Errorf("pgstore: release: %w", err)
	}
	conn.Release()
	return nil
}

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func readCheckpoint(ctx context.Context, q rowQuerier, key ksefsync.StreamKey, lock bool) (cp ksefsync.Checkpoint, ok bool, err error) {
	var hwm, end *time.Time
	query := `SELECT next_from, hwm, range_end FROM checkpoints WHERE context_id = $1 AND subject_type = $2 AND kind = $3`
	if lock {
		query += ` FOR UPDATE`
	}
	err = q.QueryRow(ctx, query, key.Context, string(key.SubjectType), key.Kind).Scan(&cp.From, &hwm, &end)
	if errors.Is(err, pgx.ErrNoRows) {
		return cp, false, nil
	}
	if err != nil {
		return cp, false, fmt.Errorf("pgstore: checkpoint: %w", err)
	}
	cp.From = cp.From.UTC()
	if hwm != nil {
		cp.HWM = hwm.UTC()
	}
	if end != nil {
		cp.End = end.UTC()
	}
	return cp, true, nil
}

func (st *stream) Checkpoint(ctx context.Context) (ksefsync.Checkpoint, bool, error) {
	if st.conn == nil {
		return ksefsync.Checkpoint{}, false, errors.New("pgstore: stream released")
	}
	cp, ok, err := readCheckpoint(ctx, st.conn, st.key, false)
	if err == nil {
		st.read = true
		st.last = nil
		if ok {
			st.last = &cp.From
		}
	}
	return cp, ok, err
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Microsecond)
	return &t
}

const incomingDDL = `CREATE TEMP TABLE IF NOT EXISTS ksefsync_incoming (
	ksef_number TEXT, invoice_number TEXT, seller_nip TEXT, seller_name TEXT, buyer_id_type TEXT, buyer_id TEXT, buyer_name TEXT,
	issue_date TEXT, invoicing_date TIMESTAMPTZ, acquisition_date TIMESTAMPTZ, permanent_storage_date TIMESTAMPTZ, currency TEXT,
	net BIGINT, vat BIGINT, gross BIGINT, invoice_type TEXT, form_code TEXT, metadata JSONB, xml BYTEA
) ON COMMIT DELETE ROWS`

var incomingColumns = []string{"ksef_number", "invoice_number", "seller_nip", "seller_name", "buyer_id_type", "buyer_id", "buyer_name",
	"issue_date", "invoicing_date", "acquisition_date", "permanent_storage_date", "currency", "net", "vat", "gross", "invoice_type", "form_code", "metadata", "xml"}

func (st *stream) Commit(ctx context.Context, next ksefsync.Checkpoint, invoices iter.Seq2[*ksefsync.Invoice, error]) (res ksefsync.CommitResult, err error) {
	if st.conn == nil {
		return res, errors.New("pgstore: stream released")
	}
	if !st.read {
		if _, _, err := st.Checkpoint(ctx); err != nil {
			return res, err
		}
	}
	tx, err := st.conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("pgstore: commit: %w", err)
	}
	defer tx.Rollback(ctx)
	cur, ok, err := readCheckpoint(ctx, tx, st.key, true)
	if err != nil {
		return res, err
	}
	if ok != (st.last != nil) || ok && !cur.From.Equal(*st.last) {
		return res, ksefsync.ErrCheckpointMoved
	}
	if _, err := tx.Exec(ctx, incomingDDL); err != nil {
		return res, fmt.Errorf("pgstore: commit: %w", err)
	}
	next2, stop := sqlq.Ahead(invoices)
	defer stop()
	var row []any
	var iterErr error
	var batch []sqlq.Prepared
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if len(batch) == 0 {
			b, err := next2()
			if err != nil {
				iterErr = err
				return nil, err
			}
			if b == nil {
				return nil, nil
			}
			batch = b
		}
		p := &batch[0]
		batch = batch[1:]
		r := &p.Row
		row = append(row[:0], r.KSeFNumber, r.InvoiceNumber, r.SellerNIP, r.SellerName, r.BuyerIDType, r.BuyerID, r.BuyerName,
			r.IssueDate, r.InvoicingDate, r.AcquisitionDate, r.PermanentStorageDate, r.Currency, r.Net, r.VAT, r.Gross,
			r.InvoiceType, r.FormCode, p.Meta, p.Invoice.XML)
		return row, nil
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"ksefsync_incoming"}, incomingColumns, src)
	if iterErr != nil {
		return res, iterErr
	}
	if err != nil {
		return res, fmt.Errorf("pgstore: commit: %w", err)
	}
	res.Seen = int(n)
	if _, err := tx.Exec(ctx, `INSERT INTO invoices(`+sqlq.Columns+`, xml)
		SELECT DISTINCT ON (ksef_number) `+sqlq.Columns+`, xml FROM ksefsync_incoming ORDER BY ksef_number
		ON CONFLICT (ksef_number) DO NOTHING`); err != nil {
		return res, fmt.Errorf("pgstore: commit: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO invoice_streams(context_id, subject_type, ksef_number)
		SELECT DISTINCT $1::text, $2::text, ksef_number FROM ksefsync_incoming
		ON CONFLICT DO NOTHING`, st.key.Context, string(st.key.SubjectType))
	if err != nil {
		return res, fmt.Errorf("pgstore: commit: %w", err)
	}
	res.New = int(tag.RowsAffected())
	from := next.From.UTC().Truncate(time.Microsecond) // never later than asked
	if _, err := tx.Exec(ctx, `INSERT INTO checkpoints(context_id, subject_type, kind, next_from, hwm, range_end, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, now())
		ON CONFLICT (context_id, subject_type, kind) DO UPDATE SET next_from = excluded.next_from, hwm = excluded.hwm,
			range_end = excluded.range_end, updated_at = excluded.updated_at`,
		st.key.Context, string(st.key.SubjectType), st.key.Kind, from, nullTime(next.HWM), nullTime(next.End)); err != nil {
		return res, fmt.Errorf("pgstore: checkpoint: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return ksefsync.CommitResult{}, fmt.Errorf("pgstore: commit: %w", err)
	}
	st.last = &from
	return res, nil
}

func placeholder(n int) string { return "$" + strconv.Itoa(n) }

func scanRow(sc pgx.Row, extra ...any) (ksefsync.StoredInvoice, error) {
	var r ksefsync.StoredInvoice
	dest := append([]any{&r.KSeFNumber, &r.InvoiceNumber, &r.SellerNIP, &r.SellerName, &r.BuyerIDType, &r.BuyerID, &r.BuyerName,
		&r.IssueDate, &r.InvoicingDate, &r.AcquisitionDate, &r.PermanentStorageDate, &r.Currency, &r.Net, &r.VAT, &r.Gross,
		&r.InvoiceType, &r.FormCode, &r.Metadata}, extra...)
	err := sc.Scan(dest...)
	r.InvoicingDate = r.InvoicingDate.UTC()
	r.AcquisitionDate = r.AcquisitionDate.UTC()
	r.PermanentStorageDate = r.PermanentStorageDate.UTC()
	return r, err
}

// Invoices lists the stored invoices matching f.
func (s *Store) Invoices(ctx context.Context, f ksefsync.Filter) iter.Seq2[ksefsync.StoredInvoice, error] {
	return func(yield func(ksefsync.StoredInvoice, error) bool) {
		where, args := sqlq.Where(f, placeholder)
		rows, err := s.pool.Query(ctx, `SELECT `+sqlq.Columns+` FROM invoices`+where+` ORDER BY permanent_storage_date, ksef_number`+sqlq.Limit(f), args...)
		if err != nil {
			yield(ksefsync.StoredInvoice{}, fmt.Errorf("pgstore: %w", err))
			return
		}
		defer rows.Close()
		sqlq.Stream(rows, func(r pgx.Rows) (ksefsync.StoredInvoice, error) { return scanRow(r) }, wrapErr, yield)
	}
}

// wrapErr names the store in an error.
func wrapErr(err error) error { return fmt.Errorf("pgstore: %w", err) }

// Invoice returns one invoice with its XML.
func (s *Store) Invoice(ctx context.Context, ksefNumber string) (*ksefsync.StoredInvoice, error) {
	var xml []byte
	r, err := scanRow(s.pool.QueryRow(ctx, `SELECT `+sqlq.Columns+`, xml FROM invoices WHERE ksef_number = $1`, ksefNumber), &xml)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ksefsync.ErrNotFound, ksefNumber)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	r.XML = xml
	return &r, nil
}

// Totals sums the invoices matching f per currency.
func (s *Store) Totals(ctx context.Context, f ksefsync.Filter) ([]ksefsync.Total, error) {
	where, args := sqlq.Where(f, placeholder)
	rows, err := s.pool.Query(ctx, `SELECT currency, COUNT(*), COALESCE(SUM(net),0)::bigint, COALESCE(SUM(vat),0)::bigint, COALESCE(SUM(gross),0)::bigint FROM invoices`+where+` GROUP BY currency ORDER BY currency`, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	defer rows.Close()
	var out []ksefsync.Total
	for rows.Next() {
		var t ksefsync.Total
		if err := rows.Scan(&t.Currency, &t.Count, &t.Net, &t.VAT, &t.Gross); err != nil {
			return nil, fmt.Errorf("pgstore: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Checkpoints lists the checkpoint of every stream.
func (s *Store) Checkpoints(ctx context.Context) ([]ksefsync.StreamCheckpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.context_id, c.subject_type, c.kind, c.next_from, c.hwm, c.range_end, c.updated_at,
		(SELECT COUNT(*) FROM invoice_streams s WHERE s.context_id = c.context_id AND s.subject_type = c.subject_type)
		FROM checkpoints c ORDER BY c.context_id, c.subject_type, c.kind`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	defer rows.Close()
	var out []ksefsync.StreamCheckpoint
	for rows.Next() {
		var c ksefsync.StreamCheckpoint
		var st string
		var hwm, end *time.Time
		if err := rows.Scan(&c.Key.Context, &st, &c.Key.Kind, &c.Checkpoint.From, &hwm, &end, &c.UpdatedAt, &c.Invoices); err != nil {
			return nil, fmt.Errorf("pgstore: %w", err)
		}
		c.Key.SubjectType = ksef.InvoiceQuerySubjectType(st)
		c.Checkpoint.From = c.Checkpoint.From.UTC()
		if hwm != nil {
			c.Checkpoint.HWM = hwm.UTC()
		}
		if end != nil {
			c.Checkpoint.End = end.UTC()
		}
		c.UpdatedAt = c.UpdatedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
