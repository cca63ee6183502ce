package democmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ksefsend"
)

// demoBatchSize is the number of invoices of the demo's batch session.
const demoBatchSize = 3

// demoBatchPartSize splits the demo's small package into several parts,
// as a large one would be split at 100 MB.
const demoBatchPartSize = 1000

func stepSendBatch(ctx context.Context, s *demoState) (facts, error) {
	if s.inv.xml == nil || s.tokenSess == nil {
		return nil, errors.New("no invoice or no session")
	}
	var inputs []ksefsend.Input
	for i := 1; i <= demoBatchSize; i++ {
		p := s.inv.params
		p.Number += fmt.Sprintf("/B%d", i)
		doc, err := fa3.BuildXML(p)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, ksefsend.Input{Name: fmt.Sprintf("faktura-b%d.xml", i), Data: doc})
	}
	var (
		session string
		last    ksef.BatchProgress
	)
	outs, err := s.sender().SendBatch(ctx, func(yield func(ksefsend.Input) bool) {
		for _, in := range inputs {
			if !yield(in) {
				return
			}
		}
	}, &ksefsend.BatchOptions{
		PartSize:   demoBatchPartSize,
		OnProgress: func(p ksef.BatchProgress) { last = p },
		OnSession:  func(bs *ksef.BatchSession) { session = bs.ReferenceNumber() },
	})
	if err != nil {
		return nil, err
	}
	fs := facts{
		{"batch session", session},
		{"package", fmt.Sprintf("ZIP of %d invoices in %d encrypted parts, %d bytes uploaded in parallel without the access token", len(inputs), last.PartsTotal, last.BytesSent)},
	}
	var numbers []string
	for _, o := range outs {
		if o.Kind != ksefsend.Registered {
			return fs, fmt.Errorf("%s: %s: %v", o.Name, o.Kind, o.Err)
		}
		numbers = append(numbers, o.KSeFNumber)
		fs = append(fs, fact{o.Name + " KSeF number", o.KSeFNumber})
	}
	if session == "" || !strings.Contains(session, "-SB-") || last.PartsSent != last.PartsTotal || last.PartsTotal < 2 {
		return fs, fmt.Errorf("batch session %q, %d of %d parts uploaded", session, last.PartsSent, last.PartsTotal)
	}
	s.batchNumbers = numbers
	return fs, nil
}
