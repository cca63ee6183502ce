// Package sqlq holds the SQL shared by the ksefsync stores: the filter of
// stored invoices and the encoding of amounts and metadata.
package sqlq

import (
	"strconv"
	"strings"
	"time"

	"github.com/ksef2/ksef/ksefsync"
)

// Where returns the WHERE clause (empty or starting with " WHERE ") and
// its arguments for f; ph(n) writes the n-th placeholder (1-based).
func Where(f ksefsync.Filter, ph func(int) string) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", ph(len(args))))
	}
	if f.Context != "" || f.SubjectType != "" {
		sub := "SELECT ksef_number FROM invoice_streams WHERE TRUE"
		if f.Context != "" {
			args = append(args, f.Context)
			sub += " AND context_id = " + ph(len(args))
		}
		if f.SubjectType != "" {
			args = append(args, string(f.SubjectType))
			sub += " AND subject_type = " + ph(len(args))
		}
		conds = append(conds, "ksef_number IN ("+sub+")")
	}
	if f.SellerNIP != "" {
		add("seller_nip = ?", f.SellerNIP)
	}
	if f.BuyerID != "" {
		add("buyer_id = ?", f.BuyerID)
	}
	if f.IssuedFrom != "" {
		add("issue_date >= ?", f.IssuedFrom)
	}
	if f.IssuedTo != "" {
		add("issue_date <= ?", f.IssuedTo)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Limit returns " LIMIT n" or "".
func Limit(f ksefsync.Filter) string {
	if f.Limit <= 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(f.Limit)
}

// Columns lists the key columns of the invoices table in the order of
// [Row] and the stores' scans.
const Columns = "ksef_number, invoice_number, seller_nip, seller_name, buyer_id_type, buyer_id, buyer_name, issue_date, invoicing_date, acquisition_date, permanent_storage_date, currency, net, vat, gross, invoice_type, form_code, metadata"

// SearchWhere returns the WHERE clause (empty or starting with " WHERE ")
// and its arguments for f; ph(n) writes the n-th placeholder (1-based),
// fold(expr) makes expr case-insensitive for an equality, and at encodes a
// store time as the store keeps it.
func SearchWhere(f ksefsync.SearchFilter, ph func(int) string, fold func(string) string, at func(time.Time) any) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return ph(len(args))
	}
	switch {
	case f.NIP != "" && f.Role == "seller":
		conds = append(conds, "seller_nip = "+arg(f.NIP))
	case f.NIP != "" && f.Role == "buyer":
		conds = append(conds, "buyer_id = "+arg(f.NIP))
	case f.NIP != "":
		conds = append(conds, "(seller_nip = "+arg(f.NIP)+" OR buyer_id = "+arg(f.NIP)+")")
	}
	if f.IssuedFrom != "" {
		conds = append(conds, "issue_date >= "+arg(f.IssuedFrom))
	}
	if f.IssuedTo != "" {
		conds = append(conds, "issue_date <= "+arg(f.IssuedTo))
	}
	if f.MinGross != nil {
		conds = append(conds, "gross >= "+arg(*f.MinGross))
	}
	if f.MaxGross != nil {
		conds = append(conds, "gross <= "+arg(*f.MaxGross))
	}
	if f.InvoiceType != "" {
		conds = append(conds, fold("invoice_type")+" = "+fold(arg(f.InvoiceType)))
	}
	if f.Currency != "" {
		conds = append(conds, fold("currency")+" = "+fold(arg(f.Currency)))
	}
	if !f.StoredSince.IsZero() {
		conds = append(conds, "stored_at >= "+arg(at(f.StoredSince)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// SearchOrder orders the results of a search.
const SearchOrder = " ORDER BY issue_date, ksef_number"

// LastTimes selects the latest 10,000 distinct store times, newest first.
const LastTimes = `SELECT DISTINCT stored_at FROM invoices ORDER BY stored_at DESC LIMIT 10000`

// Rows is a row set of either driver (database/sql, pgx).
type Rows interface {
	Next() bool
	Err() error
}

// Stream yields what scan makes of each row of rows, in order. An error
// of a scan or of the row set is yielded once, wrapped by wrap, and ends
// the stream, as does yield returning false. The caller closes rows.
func Stream[R Rows, T any](rows R, scan func(R) (T, error), wrap func(error) error, yield func(T, error) bool) {
	var zero T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			yield(zero, wrap(err))
			return
		}
		if !yield(v, nil) {
			return
		}
	}
	if err := rows.Err(); err != nil {
		yield(zero, wrap(err))
	}
}
