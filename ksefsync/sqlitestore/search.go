package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"time"

	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/internal/sqlq"
)

var _ ksefsync.Searcher = (*Store)(nil)

// Search implements [ksefsync.Searcher.Search], holding one row at a time.
func (s *Store) Search(ctx context.Context, f ksefsync.SearchFilter) iter.Seq2[ksefsync.Found, error] {
	return func(yield func(ksefsync.Found, error) bool) {
		where, args := sqlq.SearchWhere(f, placeholder, func(e string) string { return e + " COLLATE NOCASE" }, func(t time.Time) any { return fmtTime(t) })
		rows, err := s.db.QueryContext(ctx, `SELECT `+sqlq.Columns+`, stored_at FROM invoices`+where+sqlq.SearchOrder, args...)
		if err != nil {
			yield(ksefsync.Found{}, fmt.Errorf("sqlitestore: %w", err))
			return
		}
		defer rows.Close()
		sqlq.Stream(rows, func(rows *sql.Rows) (ksefsync.Found, error) {
			var stored string
			r, err := scanRow(rows, &stored)
			if err != nil {
				return ksefsync.Found{}, err
			}
			at, err := parseTime(stored)
			return ksefsync.Found{StoredInvoice: r, StoredAt: at}, err
		}, wrapErr, yield)
	}
}

// LastSync implements [ksefsync.Searcher.LastSync].
func (s *Store) LastSync(ctx context.Context, gap time.Duration) (time.Time, error) {
	rows, err := s.db.QueryContext(ctx, sqlq.LastTimes)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlitestore: %w", err)
	}
	defer rows.Close()
	var times []time.Time
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return time.Time{}, fmt.Errorf("sqlitestore: %w", err)
		}
		t, err := parseTime(v)
		if err != nil {
			return time.Time{}, fmt.Errorf("sqlitestore: %w", err)
		}
		times = append(times, t)
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, fmt.Errorf("sqlitestore: %w", err)
	}
	return ksefsync.LastRunStart(times, gap), nil
}
