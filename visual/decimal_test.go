package visual

import "testing"

func TestFormatAmount(t *testing.T) {
	for in, want := range map[string]string{
		"0":            "0,00",
		"1":            "1,00",
		"20.41":        "20,41",
		"999.5":        "999,50",
		"1000":         "1 000,00",
		"33569.50":     "33 569,50",
		"-1234567.891": "-1 234 567,891",
		"+7.00":        "7,00",
		".5":           "0,50",
		"12345678.90":  "12 345 678,90",
		"abc":          "abc",
		"":             "",
		"1.2.3":        "1.2.3",
	} {
		if got := formatAmount(in); got != want {
			t.Errorf("formatAmount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatQuantity(t *testing.T) {
	for in, want := range map[string]string{
		"1": "1", "20.00": "20,00", "0.125": "0,125", "1500": "1 500", "-2": "-2",
	} {
		if got := formatQuantity(in); got != want {
			t.Errorf("formatQuantity(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAddDecimals(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"27292.28", "6277.22", "33569.50"},
		{"0.1", "0.2", "0.30"},
		{"1", "2", "3.00"},
		{"-5.5", "2.25", "-3.25"},
		{"-0.01", "0", "-0.01"},
		{"1.005", "0.005", "1.010"},
		{"99999999999999999999.99", "0.01", "100000000000000000000.00"},
		{"x", "1", ""},
	}
	for _, tc := range tests {
		if got := addDecimals(tc.a, tc.b); got != tc.want {
			t.Errorf("addDecimals(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestAmountInWords(t *testing.T) {
	tests := []struct{ amount, cur, want string }{
		{"0", "PLN", "zero złotych 00/100"},
		{"1", "PLN", "jeden złoty 00/100"},
		{"2.5", "PLN", "dwa złote 50/100"},
		{"5.01", "", "pięć złotych 01/100"},
		{"12", "PLN", "dwanaście złotych 00/100"},
		{"22", "PLN", "dwadzieścia dwa złote 00/100"},
		{"112", "PLN", "sto dwanaście złotych 00/100"},
		{"1000", "PLN", "tysiąc złotych 00/100"},
		{"1001", "PLN", "tysiąc jeden złotych 00/100"},
		{"2000", "PLN", "dwa tysiące złotych 00/100"},
		{"5000", "PLN", "pięć tysięcy złotych 00/100"},
		{"12000", "PLN", "dwanaście tysięcy złotych 00/100"},
		{"22000", "PLN", "dwadzieścia dwa tysiące złotych 00/100"},
		{"33569.50", "PLN", "trzydzieści trzy tysiące pięćset sześćdziesiąt dziewięć złotych 50/100"},
		{"1000000", "PLN", "milion złotych 00/100"},
		{"2345678.09", "EUR", "dwa miliony trzysta czterdzieści pięć tysięcy sześćset siedemdziesiąt osiem EUR 09/100"},
		{"-15.00", "PLN", "minus piętnaście złotych 00/100"},
		{"10.500", "PLN", "dziesięć złotych 50/100"},
		{"10.505", "PLN", ""},
		{"not a number", "PLN", ""},
		{"1000000000000000", "PLN", ""},
	}
	for _, tc := range tests {
		if got := amountInWords(tc.amount, tc.cur); got != tc.want {
			t.Errorf("amountInWords(%q, %q) = %q, want %q", tc.amount, tc.cur, got, tc.want)
		}
	}
}

func TestFormatAccount(t *testing.T) {
	for in, want := range map[string]string{
		"61109010140000071219812874":   "61 1090 1014 0000 0712 1981 2874",
		"PL61109010140000071219812874": "PL61 1090 1014 0000 0712 1981 2874",
		"DE89 3704 0044 0532 0130 00":  "DE89370400440532013000",
		"":                             "",
	} {
		if got := formatAccount(in); got != want {
			t.Errorf("formatAccount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGrandTotal(t *testing.T) {
	for _, tc := range []struct {
		gross, currency string
		want            grandTotal
		label           string
	}{
		{"1230.00", "PLN", grandTotal{Amount: "1230.00", Words: "tysiąc dwieście trzydzieści złotych 00/100"}, "Razem do zapłaty"},
		{"-307.50", "PLN", grandTotal{Refund: true, Amount: "307.50", Words: "trzysta siedem złotych 50/100"}, "Do zwrotu"},
		{"-0.00", "PLN", grandTotal{Amount: "-0.00", Words: "zero złotych 00/100"}, "Razem do zapłaty"},
		{"-123", "EUR", grandTotal{Refund: true, Amount: "123", Words: "sto dwadzieścia trzy EUR 00/100"}, "Do zwrotu"},
	} {
		got := newGrandTotal(tc.gross, tc.currency)
		if got != tc.want || got.Label() != tc.label {
			t.Errorf("newGrandTotal(%s) = %+v %q, want %+v %q", tc.gross, got, got.Label(), tc.want, tc.label)
		}
	}
}
