package ksef_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/ksefsim"
	"github.com/ksef2/ksef/ksefsim/ksefsimtest"
)

// BenchmarkSendBatch sends invoices end to end through batch sessions
// (ksefsend.Sender.SendBatch: validation, packing, upload, close, wait,
// per-invoice results) into the simulator over loopback HTTP, without rate
// limits, and in the same run a tenth as many through online sessions
// (Sender.Send) as the yardstick. It reports both rates and their ratio.
// The whole-CLI figure for 10,000 invoices comes from
// scripts/bench-batch-send.sh.
//
//	go test -run '^$' -bench BenchmarkSendBatch -benchtime 1x .
func BenchmarkSendBatch(b *testing.B) {
	const n = 2000
	srv := ksefsimtest.NewServer(b, ksefsim.WithoutRateLimits())
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	id, err := srv.NewTestIdentity()
	if err != nil {
		b.Fatal(err)
	}
	a, err := c.Auth.LoginWithCertificate(b.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		b.Fatal(err)
	}
	run := 0
	inputs := func(count int) []ksefsend.Input {
		run++
		out := make([]ksefsend.Input, count)
		for i := range out {
			out[i] = ksefsend.Input{Name: fmt.Sprintf("%d.xml", i), Data: fa3Invoice(b, id.NIP, fmt.Sprintf("FV/BB/%d/%d", run, i))}
		}
		return out
	}
	snd := &ksefsend.Sender{Sessions: a.Sessions, Form: ksef.FormFA3, Wait: &ksef.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 200 * time.Millisecond, Timeout: 10 * time.Minute}}
	var batchRate, onlineRate float64
	for b.Loop() {
		b.StopTimer()
		in, on := inputs(n), inputs(n/10)
		b.StartTimer()
		t0 := time.Now()
		outs, err := snd.SendBatch(b.Context(), slices.Values(in), nil)
		d := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range outs {
			if o.Kind != ksefsend.Registered {
				b.Fatalf("%s: %s %v", o.Name, o.Kind, o.Err)
			}
		}
		batchRate = float64(n) / d.Seconds()
		t0 = time.Now()
		outs, err = snd.Send(b.Context(), slices.Values(on))
		d = time.Since(t0)
		if err != nil || len(outs) != len(on) {
			b.Fatal(err)
		}
		onlineRate = float64(len(on)) / d.Seconds()
	}
	b.ReportMetric(batchRate, "batch-invoices/s")
	b.ReportMetric(onlineRate, "online-invoices/s")
	b.ReportMetric(batchRate/onlineRate, "batch/online")
}
