package pgstore

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/internal/sqlq"
)

var _ ksefsync.Searcher = (*Store)(nil)

// Search implements [ksefsync.Searcher.Search], holding one row at a time.
func (s *Store) Search(ctx context.Context, f ksefsync.SearchFilter) iter.Seq2[ksefsync.Found, error] {
	return func(yield func(ksefsync.Found, error) bool) {
		where, args := sqlq.SearchWhere(f, placeholder, func(e string) string { return "lower(" + e + ")" }, func(t time.Time) any { return t })
		rows, err := s.pool.Query(ctx, `SELECT `+sqlq.Columns+`, stored_at FROM invoices`+where+sqlq.SearchOrder, args...)
		if err != nil {
			yield(ksefsync.Found{}, fmt.Errorf("pgstore: %w", err))
			return
		}
		defer rows.Close()
		sqlq.Stream(rows, func(rows pgx.Rows) (ksefsync.Found, error) {
			var at time.Time
			r, err := scanRow(rows, &at)
			return ksefsync.Found{StoredInvoice: r, StoredAt: at}, err
		}, wrapErr, yield)
	}
}

// LastSync implements [ksefsync.Searcher.LastSync].
func (s *Store) LastSync(ctx context.Context, gap time.Duration) (time.Time, error) {
	rows, err := s.pool.Query(ctx, sqlq.LastTimes)
	if err != nil {
		return time.Time{}, fmt.Errorf("pgstore: %w", err)
	}
	defer rows.Close()
	var times []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			return time.Time{}, fmt.Errorf("pgstore: %w", err)
		}
		times = append(times, t)
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, fmt.Errorf("pgstore: %w", err)
	}
	return ksefsync.LastRunStart(times, gap), nil
}
