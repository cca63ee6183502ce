package fa3_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ksef2/ksef/fa3"
)

func line(q, p string, r fa3.TStawkaPodatku) fa3.Line {
	return fa3.Line{Name: "x", Quantity: fa3.Decimal(q), UnitPrice: fa3.Decimal(p), Rate: r}
}

// TestTotalsMultiRate checks ComputeTotals against amounts computed by hand.
func TestTotalsMultiRate(t *testing.T) {
	lines := []fa3.Line{
		line("3", "19.99", "23"),     // 59.97
		line("2.5", "10.10", "23"),   // 25.25
		line("3", "0.333", "8"),      // 0.999 -> 1.00
		line("7", "1.07", "8"),       // 7.49
		line("1", "50", "5"),         // 50.00
		line("1", "20", "zw"),        // 20.00
		line("2", "12.345", "0 KR"),  // 24.69
		line("0.5", "0.01", "0 WDT"), // 0.005 -> 0.01 (half up)
	}
	got, err := fa3.ComputeTotals(lines)
	if err != nil {
		t.Fatal(err)
	}
	want := []fa3.RateTotal{
		{Rate: "23", Net: 85_22, VAT: 19_60}, // 85.22 * 0.23 = 19.6006
		{Rate: "8", Net: 8_49, VAT: 68},      // 8.49 * 0.08 = 0.6792
		{Rate: "5", Net: 50_00, VAT: 2_50},
		{Rate: "0 KR", Net: 24_69},
		{Rate: "0 WDT", Net: 1},
		{Rate: "zw", Net: 20_00},
	}
	if len(got.Rates) != len(want) {
		t.Fatalf("rates = %+v, want %+v", got.Rates, want)
	}
	for i := range want {
		if got.Rates[i] != want[i] {
			t.Errorf("rate %d = %+v, want %+v", i, got.Rates[i], want[i])
		}
	}
	if got.Net != 188_41 || got.VAT != 22_78 || got.Gross != 211_19 {
		t.Errorf("totals net %s vat %s gross %s, want 188.41 22.78 211.19", got.Net, got.VAT, got.Gross)
	}
}

// TestTotalsPerRateNotPerLine: VAT is computed once per rate from the sum
// of the nets, which differs from summing per-line rounded VAT.
func TestTotalsPerRateNotPerLine(t *testing.T) {
	got, err := fa3.ComputeTotals([]fa3.Line{line("1", "0.07", "23"), line("1", "0.07", "23"), line("1", "0.07", "23")})
	if err != nil {
		t.Fatal(err)
	}
	// Per line: 0.0161 -> 0.02, three times 0.06. Per rate: 0.21*0.23 = 0.0483 -> 0.05.
	if got.VAT != 5 || got.Gross != 26 {
		t.Errorf("VAT %s gross %s, want 0.05 0.26", got.VAT, got.Gross)
	}
}

func TestVATOfRoundsHalfUp(t *testing.T) {
	cases := []struct {
		net  fa3.Money
		rate fa3.TStawkaPodatku
		want fa3.Money
	}{
		{50, "5", 3},   // 0.025 -> 0.03 (bankers' rounding would give 0.02)
		{-50, "5", -3}, // symmetric for corrections
		{150, "5", 8},  // 0.075 -> 0.08
		{1_00, "23", 23},
		{10_00, "zw", 0},
		{10_00, "0 EX", 0},
		{10_00, "oo", 0},
		{99_99, "22", 22_00},  // 21.9978
		{1234_56, "7", 86_42}, // 86.4192
		{1234_56, "4", 49_38}, // 49.3824
		{1234_56, "3", 37_04}, // 37.0368
	}
	for _, c := range cases {
		if got := fa3.VATOf(c.net, c.rate); got != c.want {
			t.Errorf("VATOf(%s, %s) = %s, want %s", c.net, c.rate, got, c.want)
		}
	}
}

func TestLineNet(t *testing.T) {
	cases := []struct {
		q, p fa3.Decimal
		want fa3.Money
		ok   bool
	}{
		{"20.00", "0.90", 18_00, true},
		{"1.5", "0.333", 50, true},              // 0.4995 -> 0.50
		{"-3", "0.005", -2, true},               // -0.015 -> -0.02 (half away from zero)
		{"0.000001", "12345678.9", 12_35, true}, // 12.3456789
		{".5", "-.25", -13, true},               // -0.125 -> -0.13
		{"1.", "1", 0, false},
		{"-", "1", 0, false},
		{"1e3", "1", 0, false},
		{"1/3", "1", 0, false},
		{"+1", "1", 0, false},
		{"1.0000001", "1", 0, false}, // 7 decimal places
		{"1", "1.123456789", 0, false},
		{"", "1", 0, false},
		{"1", " 1", 0, false},
	}
	for _, c := range cases {
		got, err := fa3.LineNet(c.q, c.p)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("LineNet(%q, %q) = %s, %v; want %s ok=%v", c.q, c.p, got, err, c.want, c.ok)
		}
	}
}

func TestMoneyAndRates(t *testing.T) {
	for s, want := range map[string]fa3.Money{"0": 0, "12.3": 12_30, "-0.07": -7, "1000000.99": 100000099} {
		m, err := fa3.ParseMoney(s)
		if err != nil || m != want {
			t.Errorf("ParseMoney(%q) = %v, %v", s, m, err)
		}
	}
	if fa3.Money(-7).String() != "-0.07" || fa3.Money(123450).String() != "1234.50" {
		t.Error("Money.String")
	}
	for _, bad := range []string{"1.234", "abc", "1,5", ""} {
		if _, err := fa3.ParseMoney(bad); err == nil {
			t.Errorf("ParseMoney(%q) accepted", bad)
		}
	}
	for in, want := range map[string]fa3.TStawkaPodatku{"23": "23", "23%": "23", "0": "0 KR", "np": "np I", "np II": "np II", "zw": "zw"} {
		if got, err := fa3.ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"24", "ZW", "", "0 XX"} {
		if _, err := fa3.ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func TestTotalsJSONRoundTrip(t *testing.T) {
	tot, err := fa3.ComputeTotals([]fa3.Line{line("3", "0.333", "8"), line("-1", "2", "23")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(tot)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rates":[{"rate":"23","net":"-2.00","vat":"-0.46"},{"rate":"8","net":"1.00","vat":"0.08"}],"net":"-1.00","vat":"-0.38","gross":"-1.38"}`
	if string(b) != want {
		t.Errorf("JSON %s\nwant %s", b, want)
	}
	var back fa3.Totals
	if err := json.Unmarshal(b, &back); err != nil || back.Gross != tot.Gross || len(back.Rates) != 2 || back.Rates[0] != tot.Rates[0] {
		t.Errorf("round trip %+v, %v", back, err)
	}
}

func TestAllocateAdvance(t *testing.T) {
	// Order: 1000.00 net at 23% (gross 1230.00) and 500.00 net at 8% (gross 540.00).
	order, err := fa3.ComputeTotals([]fa3.Line{line("1", "1000", "23"), line("1", "500", "8")})
	if err != nil {
		t.Fatal(err)
	}
	got := fa3.AllocateAdvance(500_00, order)
	// 500 * 1230/1770 = 347.457... -> 347.46; rest 152.54.
	// VAT 347.46*23/123 = 64.9720 -> 64.97; 152.54*8/108 = 11.2993 -> 11.30.
	want := []fa3.RateTotal{{Rate: "23", Net: 282_49, VAT: 64_97}, {Rate: "8", Net: 141_24, VAT: 11_30}}
	if len(got.Rates) != 2 || got.Rates[0] != want[0] || got.Rates[1] != want[1] || got.Gross != 500_00 {
		t.Errorf("AllocateAdvance = %+v, want %+v gross 500.00", got, want)
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-0.07", "1e3", "99999999999999.99", "--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := fa3.ParseMoney(s)
		if err != nil {
			return
		}
		back, err := fa3.ParseMoney(m.String())
		if err != nil || back != m {
			t.Fatalf("%q -> %s -> %v, %v", s, m, back, err)
		}
	})
}

// TestTotalsAgainstIntegerOracle compares ComputeTotals with an independent
// computation in scaled integers (quantities in millionths, prices in
// hundred-millionths) on random invoices.
func TestTotalsAgainstIntegerOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	percents := map[fa3.TStawkaPodatku]int64{"23": 23, "22": 22, "8": 8, "7": 7, "5": 5, "4": 4, "3": 3, "0 KR": 0, "zw": 0, "oo": 0}
	var rateList []fa3.TStawkaPodatku
	for k := range percents {
		rateList = append(rateList, k)
	}
	slices.Sort(rateList)
	// div rounds a/b half away from zero (b > 0).
	div := func(a, b *big.Int) int64 {
		q, m := new(big.Int).QuoRem(new(big.Int).Abs(a), b, new(big.Int))
		if new(big.Int).Mul(m, big.NewInt(2)).Cmp(b) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		if a.Sign() < 0 {
			q.Neg(q)
		}
		return q.Int64()
	}
	for iter := range 300 {
		n := 1 + r.IntN(30)
		lines := make([]fa3.Line, n)
		nets := map[fa3.TStawkaPodatku]int64{}
		for i := range lines {
			q := r.Int64N(5_000_000_000) + 1 // up to 5000 with 6 decimals
			p := r.Int64N(100_000_000_000)   // up to 1000 with 8 decimals
			if iter%3 == 0 && r.IntN(4) == 0 {
				q = -q
			}
			rate := rateList[r.IntN(len(rateList))]
			lines[i] = fa3.Line{Name: "x", Quantity: fa3.Decimal(scaled(q, 6)), UnitPrice: fa3.Decimal(scaled(p, 8)), Rate: rate}
			prod := new(big.Int).Mul(big.NewInt(q), big.NewInt(p)) // 10^-14
			nets[rate] += div(prod, big.NewInt(1_000_000_000_000))
		}
		got, err := fa3.ComputeTotals(lines)
		if err != nil {
			t.Fatal(err)
		}
		var gross int64
		for _, rt := range got.Rates {
			wantVAT := div(big.NewInt(nets[rt.Rate]*percents[rt.Rate]), big.NewInt(100))
			if int64(rt.Net) != nets[rt.Rate] || int64(rt.VAT) != wantVAT {
				t.Fatalf("rate %s: got %s/%s, want %d/%d (lines %+v)", rt.Rate, rt.Net, rt.VAT, nets[rt.Rate], wantVAT, lines)
			}
			gross += nets[rt.Rate] + wantVAT
			delete(nets, rt.Rate)
		}
		if len(nets) != 0 || int64(got.Gross) != gross {
			t.Fatalf("rates left %v, gross %s want %d", nets, got.Gross, gross)
		}
	}
}

// scaled writes v / 10^places as a plain decimal.
func scaled(v int64, places int) string {
	s := fmt.Sprintf("%0*d", places+1, abs(v))
	s = s[:len(s)-places] + "." + s[len(s)-places:]
	if v < 0 {
		s = "-" + s
	}
	return s
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
