package sqlitestore

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/internal/sqlq"
)

// SearchFilter selects stored invoices for [Store.Search] (the questions
// of `ksef mcp`). Zero fields select everything.
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

// Found is an invoice found by [Store.Search]: its key fields (without
// the XML) and when the store got it.
type Found struct {
	ksefsync.StoredInvoice
	StoredAt time.Time
}

// Search streams the stored invoices matching f, ordered by issue date and
// KSeF number, holding one row at a time.
func (s *Store) Search(ctx context.Context, f SearchFilter) iter.Seq2[Found, error] {
	return func(yield func(Found, error) bool) {
		var conds []string
		var args []any
		add := func(cond string, vs ...any) {
			conds = append(conds, cond)
			args = append(args, vs...)
		}
		switch {
		case f.NIP != "" && f.Role == "seller":
			add("seller_nip = ?", f.NIP)
		case f.NIP != "" && f.Role == "buyer":
			add("buyer_id = ?", f.NIP)
		case f.NIP != "":
			add("(seller_nip = ? OR buyer_id = ?)", f.NIP, f.NIP)
		}
		if f.IssuedFrom != "" {
			add("issue_date >= ?", f.IssuedFrom)
		}
		if f.IssuedTo != "" {
			add("issue_date <= ?", f.IssuedTo)
		}
		if f.MinGross != nil {
			add("gross >= ?", *f.MinGross)
		}
		if f.MaxGross != nil {
			add("gross <= ?", *f.MaxGross)
		}
		if f.InvoiceType != "" {
			add("invoice_type = ? COLLATE NOCASE", f.InvoiceType)
		}
		if f.Currency != "" {
			add("currency = ? COLLATE NOCASE", f.Currency)
		}
		if !f.StoredSince.IsZero() {
			add("stored_at >= ?", fmtTime(f.StoredSince))
		}
		where := ""
		if len(conds) > 0 {
			where = " WHERE " + strings.Join(conds, " AND ")
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+sqlq.Columns+`, stored_at FROM invoices`+where+` ORDER BY issue_date, ksef_number`, args...)
		if err != nil {
			yield(Found{}, fmt.Errorf("sqlitestore: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var stored string
			r, err := scanRow(rows, &stored)
			if err != nil {
				yield(Found{}, fmt.Errorf("sqlitestore: %w", err))
				return
			}
			at, err := parseTime(stored)
			if err != nil {
				yield(Found{}, fmt.Errorf("sqlitestore: %w", err))
				return
			}
			if !yield(Found{StoredInvoice: r, StoredAt: at}, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Found{}, fmt.Errorf("sqlitestore: %w", err))
		}
	}
}

// LastSync estimates when the last sync run began storing invoices: the
// earliest store time of the newest run of commits in which no two
// consecutive commits are more than gap apart (a run commits its packages
// one after another; runs are started minutes or hours apart). It looks
// at the latest 10,000 distinct commit times at most, and returns zero for
// an empty store.
func (s *Store) LastSync(ctx context.Context, gap time.Duration) (time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT stored_at FROM invoices ORDER BY stored_at DESC LIMIT 10000`)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlitestore: %w", err)
	}
	defer rows.Close()
	var start time.Time
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return time.Time{}, fmt.Errorf("sqlitestore: %w", err)
		}
		t, err := parseTime(v)
		if err != nil {
			return time.Time{}, fmt.Errorf("sqlitestore: %w", err)
		}
		if !start.IsZero() && start.Sub(t) > gap {
			break
		}
		start = t
	}
	return start, rows.Err()
}
