package democmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ksef2/ksef"
)

// stepDownload downloads the invoices sent online by their KSeF numbers
// and checks they are byte-identical to what was sent, then finds them in
// the seller's metadata.
func stepDownload(ctx context.Context, s *demoState) (facts, error) {
	if len(s.online.numbers) != 2 || s.inv.xml == nil || s.online.second == nil || s.tokenSess == nil {
		return nil, errors.New("no invoices sent")
	}
	inv := s.tokenSess.Invoices
	var fs facts
	for i, sent := range [][]byte{s.inv.xml, s.online.second} {
		num := s.online.numbers[i]
		got, err := inv.WaitDownload(ctx, num, demoWait)
		if err != nil {
			return fs, err
		}
		if !bytes.Equal(got, sent) {
			return fs, fmt.Errorf("invoice %s: the downloaded XML (%d bytes) differs from the one sent (%d bytes)", num, len(got), len(sent))
		}
		fs = append(fs, fact{fmt.Sprintf("invoice %d", i+1), fmt.Sprintf("%s: %d bytes, hash verified, byte-identical to the one sent", num, len(got))})
	}
	to := time.Now().Add(time.Minute)
	found := 0
	for md, err := range inv.QueryMetadataAll(ctx, &ksef.MetadataQuery{Filters: ksef.InvoiceQueryFilters{
		SubjectType: ksef.InvoiceQuerySubjectTypeSubject1,
		DateRange:   ksef.InvoiceQueryDateRange{DateType: ksef.InvoiceQueryDateTypeInvoicing, From: time.Now().Add(-time.Hour), To: &to},
	}}) {
		if err != nil {
			return fs, err
		}
		for _, n := range s.online.numbers {
			if md.KSeFNumber == n {
				found++
			}
		}
	}
	if found != 2 {
		return fs, fmt.Errorf("the metadata query found %d of the 2 invoices", found)
	}
	return append(fs, fact{"metadata query", "both invoices listed as sold (Subject1)"}), nil
}
