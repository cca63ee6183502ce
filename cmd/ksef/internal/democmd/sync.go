package democmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

// stepSync syncs the context's invoices (the two sent online and the three of the batch) into
// an SQLite file with ksefsync and prints what the store holds.
func stepSync(ctx context.Context, s *demoState) (facts, error) {
	if s.tokenSess == nil || len(s.online.numbers) != 2 {
		return nil, errors.New("no invoices were sent")
	}
	dir, err := s.outputDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "ksef.db")
	// A fresh store, like the demo's other files: an earlier demo's
	// store in the same --out-dir would mix another context's invoices in.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	st, err := sqlitestore.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	src := &ksefsync.ExportSource{Invoices: s.tokenSess.Invoices, TempDir: dir, Wait: demoWait}
	eng, err := ksefsync.NewEngine(st, []ksefsync.ContextSource{{Context: s.nip, Source: src}},
		ksefsync.Options{Start: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		return nil, err
	}
	sum := eng.Run(ctx)
	if err := sum.Err(); err != nil {
		return nil, err
	}
	fs := facts{{"store", "sqlite:" + path}}
	for _, r := range sum.Streams {
		fs = append(fs, fact{"new " + string(r.Key.SubjectType), strconv.Itoa(r.New)})
	}
	var held []string
	for inv, err := range st.Invoices(ctx, ksefsync.Filter{}) {
		if err != nil {
			return nil, err
		}
		held = append(held, inv.KSeFNumber)
		fs = append(fs, fact{"stored " + inv.KSeFNumber, fmt.Sprintf("%s, %s %s gross", inv.InvoiceNumber, amount(inv.Gross), inv.Currency)})
	}
	for _, n := range slices.Concat(s.online.numbers, s.batchNumbers) {
		if !slices.Contains(held, n) {
			return fs, fmt.Errorf("the store lacks %s", n)
		}
	}
	tot, err := st.Totals(ctx, ksefsync.Filter{})
	if err != nil {
		return nil, err
	}
	for _, t := range tot {
		fs = append(fs, fact{"total " + t.Currency, fmt.Sprintf("%d invoices, net %s, VAT %s, gross %s", t.Count, amount(t.Net), amount(t.VAT), amount(t.Gross))})
	}
	fs = append(fs, fact{"next", "ksef db list --store sqlite:" + path})
	return fs, nil
}

// amount formats minor units.
func amount(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}
