package fa3

import "time"

// Invoice kinds the builder produces (RodzajFaktury).
const (
	// KindVAT is the basic invoice.
	KindVAT = TRodzajFakturyVAT
	// KindKOR is a correction (faktura korygująca).
	KindKOR = TRodzajFakturyKOR
	// KindZAL is an advance payment invoice (faktura zaliczkowa).
	KindZAL = TRodzajFakturyZAL
	// KindROZ is a settlement invoice after advance payments (art. 106f
	// ust. 3 ustawy o VAT).
	KindROZ = TRodzajFakturyROZ
	// KindUPR is a simplified invoice (art. 106e ust. 5 pkt 3 ustawy o VAT).
	KindUPR = TRodzajFakturyUPR
)

// Simplified invoices (UPR) are allowed up to these gross amounts.
const (
	// MaxSimplifiedPLN is the largest gross amount of a simplified
	// invoice in PLN.
	MaxSimplifiedPLN Money = 450_00
	// MaxSimplifiedEUR is the largest gross amount of a simplified
	// invoice in EUR.
	MaxSimplifiedEUR Money = 100_00
)

// DefaultSystemInfo is written to Naglowek/SystemInfo when
// InvoiceParams.SystemInfo is empty.
const DefaultSystemInfo = "ksef2 Go SDK"

// Party is the seller (Podmiot1) or the buyer (Podmiot2) of an invoice.
type Party struct {
	// NIP is the Polish tax identification number, 10 digits with a valid
	// checksum. The seller's is required; a buyer without one is written
	// with BrakID (a consumer), except on simplified invoices, which
	// require it.
	NIP string `json:"nip,omitempty" yaml:"nip,omitempty"`
	// Name is the name or business name. Required for the seller and,
	// except on simplified invoices, for the buyer.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// CountryCode is the ISO 3166 country of the address (default "PL").
	CountryCode string `json:"countryCode,omitempty" yaml:"countryCode,omitempty"`
	// AddressLine1 and AddressLine2 are the address (AdresL1, AdresL2).
	// AddressLine1 is required for the seller and for the buyer of every
	// kind but UPR.
	AddressLine1 string `json:"addressLine1,omitempty" yaml:"addressLine1,omitempty"`
	AddressLine2 string `json:"addressLine2,omitempty" yaml:"addressLine2,omitempty"`
	// EUVATNumber identifies a buyer from another EU country instead of
	// a NIP: the VAT number with its country prefix, e.g. "DE123456789"
	// (KodUE, NrVatUE).
	EUVATNumber string `json:"euVatNumber,omitempty" yaml:"euVatNumber,omitempty"`
	// ForeignID identifies another foreign buyer by a tax identifier of
	// its country (NrID, with KodKraju from ForeignIDCountry when given).
	ForeignID        string `json:"foreignId,omitempty" yaml:"foreignId,omitempty"`
	ForeignIDCountry string `json:"foreignIdCountry,omitempty" yaml:"foreignIdCountry,omitempty"`
	// Email and Phone are optional contact data (DaneKontaktowe).
	Email string `json:"email,omitempty" yaml:"email,omitempty"`
	Phone string `json:"phone,omitempty" yaml:"phone,omitempty"`
}

// Line is one invoice line (FaWiersz), or one order line (ZamowienieWiersz)
// of an advance payment invoice.
type Line struct {
	// Name of the goods or service (P_7), required.
	Name string `json:"name" yaml:"name"`
	// Unit of measure (P_8A), e.g. "szt.", "kWh", "h"; optional.
	Unit string `json:"unit,omitempty" yaml:"unit,omitempty"`
	// Quantity (P_8B), at most 6 decimal places. Negative quantities are
	// accepted only on corrections (KOR).
	Quantity Decimal `json:"quantity" yaml:"quantity"`
	// UnitPrice is the net unit price (P_9A), at most 8 decimal places.
	// Negative prices are accepted only on corrections (KOR).
	UnitPrice Decimal `json:"unitPrice" yaml:"unitPrice"`
	// Rate is the VAT rate (P_12), see [ParseRate].
	Rate TStawkaPodatku `json:"rate" yaml:"rate"`
	// GTU is the optional goods and services group code ("GTU_01".."GTU_13").
	GTU string `json:"gtu,omitempty" yaml:"gtu,omitempty"`
	// Index is the seller's optional product code (Indeks).
	Index string `json:"index,omitempty" yaml:"index,omitempty"`
	// Before marks, on a correction, a line describing the state before
	// the correction (StanPrzed); its value is subtracted in the totals.
	Before bool `json:"before,omitempty" yaml:"before,omitempty"`
}

// Payment is the optional payment information (Platnosc).
type Payment struct {
	// DueDate is the payment due date, YYYY-MM-DD (TerminPlatnosci/Termin).
	DueDate string `json:"dueDate,omitempty" yaml:"dueDate,omitempty"`
	// Method is the form of payment (FormaPlatnosci): 1 cash, 2 card,
	// 3 voucher, 4 cheque, 5 credit, 6 transfer, 7 mobile. Zero omits it.
	Method int `json:"method,omitempty" yaml:"method,omitempty"`
	// BankAccount is the account number (NrRB), e.g. an IBAN without
	// spaces; BankName its bank's name (NazwaBanku).
	BankAccount string `json:"bankAccount,omitempty" yaml:"bankAccount,omitempty"`
	BankName    string `json:"bankName,omitempty" yaml:"bankName,omitempty"`
	// PaidOn, when set (YYYY-MM-DD), marks the invoice as paid
	// (Zaplacono, DataZaplaty).
	PaidOn string `json:"paidOn,omitempty" yaml:"paidOn,omitempty"`
}

// TypKorekty values: when a correction takes effect.
const (
	// CorrectionEffectOriginalDate means the correction takes effect in the
	// period of the corrected invoice.
	CorrectionEffectOriginalDate = TTypKorekty_1
	// CorrectionEffectIssueDate means it takes effect in the period the
	// correction is issued.
	CorrectionEffectIssueDate = TTypKorekty_2
	// CorrectionEffectOther means it takes effect at another date.
	CorrectionEffectOther = TTypKorekty_3
)

// Correction identifies the invoice a correction (KOR) corrects.
type Correction struct {
	// Number is the corrected invoice's number (P_2 of that invoice),
	// IssueDate its issue date (P_1), both required.
	Number    string `json:"number" yaml:"number"`
	IssueDate string `json:"issueDate" yaml:"issueDate"`
	// KSeFNumber is the corrected invoice's KSeF number; empty when it
	// was issued outside KSeF (NrKSeFN).
	KSeFNumber string `json:"ksefNumber,omitempty" yaml:"ksefNumber,omitempty"`
	// Reason is the optional reason for the correction (PrzyczynaKorekty).
	Reason string `json:"reason,omitempty" yaml:"reason,omitempty"`
	// Type is the optional TypKorekty: "1", "2" or "3".
	Type TTypKorekty `json:"type,omitempty" yaml:"type,omitempty"`
}

// Advance is the payment documented by an advance payment invoice (ZAL).
// The invoice's lines are the ordered goods or services (Zamowienie); the
// advance is allocated to the VAT rates in proportion to the order's gross
// value per rate, and its tax is computed from the gross amount.
type Advance struct {
	// Amount is the gross amount received (P_15), required and positive.
	Amount Decimal `json:"amount" yaml:"amount"`
	// ReceivedOn is the date the payment was received (P_6), YYYY-MM-DD;
	// optional when equal to the issue date.
	ReceivedOn string `json:"receivedOn,omitempty" yaml:"receivedOn,omitempty"`
}

// RateAmount is a net amount and its tax at one VAT rate.
type RateAmount struct {
	Rate TStawkaPodatku `json:"rate" yaml:"rate"`
	Net  Decimal        `json:"net" yaml:"net"`
	VAT  Decimal        `json:"vat" yaml:"vat"`
}

// AdvanceInvoice is an advance payment invoice settled by a settlement
// invoice (ROZ): its reference (FakturaZaliczkowa) and the amounts per rate
// it already taxed, which the settlement invoice deducts.
type AdvanceInvoice struct {
	// KSeFNumber is the advance invoice's KSeF number; when empty, Number
	// (its P_2) identifies an advance invoice issued outside KSeF.
	KSeFNumber string `json:"ksefNumber,omitempty" yaml:"ksefNumber,omitempty"`
	Number     string `json:"number,omitempty" yaml:"number,omitempty"`
	// Amounts are the net and tax per rate of the advance invoice.
	Amounts []RateAmount `json:"amounts" yaml:"amounts"`
}

// InvoiceParams describes an invoice for [Build]. Dates are YYYY-MM-DD.
type InvoiceParams struct {
	// Kind is VAT (default), KOR, ZAL, ROZ or UPR.
	Kind TRodzajFaktury `json:"kind,omitempty" yaml:"kind,omitempty"`
	// Number is the invoice number (P_2), required.
	Number string `json:"number" yaml:"number"`
	// IssueDate (P_1) is required; IssuePlace (P_1M) is optional.
	IssueDate  string `json:"issueDate" yaml:"issueDate"`
	IssuePlace string `json:"issuePlace,omitempty" yaml:"issuePlace,omitempty"`
	// SaleDate (P_6) is the date of supply when it differs from the
	// issue date; optional.
	SaleDate string `json:"saleDate,omitempty" yaml:"saleDate,omitempty"`
	// Currency is the ISO 4217 code (KodWaluty), default "PLN". Another
	// currency requires ExchangeRate (PLN per unit), used for the tax in
	// PLN (P_14_xW).
	Currency     string  `json:"currency,omitempty" yaml:"currency,omitempty"`
	ExchangeRate Decimal `json:"exchangeRate,omitempty" yaml:"exchangeRate,omitempty"`

	Seller Party `json:"seller" yaml:"seller"`
	Buyer  Party `json:"buyer" yaml:"buyer"`

	// Lines are the invoice lines (for ZAL: the ordered goods or
	// services); at least one is required.
	Lines []Line `json:"lines" yaml:"lines"`

	// CashAccounting (P_16 metoda kasowa), SelfBilling (P_17
	// samofakturowanie) and SplitPayment (P_18A mechanizm podzielonej
	// płatności) set the annotations; P_18 (odwrotne obciążenie) is set
	// when a line has rate "oo".
	CashAccounting bool `json:"cashAccounting,omitempty" yaml:"cashAccounting,omitempty"`
	SelfBilling    bool `json:"selfBilling,omitempty" yaml:"selfBilling,omitempty"`
	SplitPayment   bool `json:"splitPayment,omitempty" yaml:"splitPayment,omitempty"`
	// ExemptionBasis is the legal basis of the exemption (P_19A), required
	// when a line has rate "zw", e.g. "art. 43 ust. 1 pkt 37 ustawy o VAT".
	ExemptionBasis string `json:"exemptionBasis,omitempty" yaml:"exemptionBasis,omitempty"`

	// Payment is optional.
	Payment *Payment `json:"payment,omitempty" yaml:"payment,omitempty"`
	// Correction is required for KOR and not allowed otherwise.
	Correction *Correction `json:"correction,omitempty" yaml:"correction,omitempty"`
	// Advance is required for ZAL and not allowed otherwise.
	Advance *Advance `json:"advance,omitempty" yaml:"advance,omitempty"`
	// AdvanceInvoices are required for ROZ and not allowed otherwise.
	AdvanceInvoices []AdvanceInvoice `json:"advanceInvoices,omitempty" yaml:"advanceInvoices,omitempty"`

	// Notes are additional key/value descriptions (DodatkowyOpis).
	Notes []Note `json:"notes,omitempty" yaml:"notes,omitempty"`
	// Footer is free text printed at the foot of the invoice
	// (Stopka/Informacje/StopkaFaktury).
	Footer string `json:"footer,omitempty" yaml:"footer,omitempty"`

	// SystemInfo names the issuing system (default DefaultSystemInfo).
	SystemInfo string `json:"systemInfo,omitempty" yaml:"systemInfo,omitempty"`
	// Created is DataWytworzeniaFa; zero means now.
	Created time.Time `json:"created,omitzero" yaml:"created,omitempty"`
}

// Note is a key/value description of the invoice (DodatkowyOpis).
type Note struct {
	Key   string `json:"key" yaml:"key"`
	Value string `json:"value" yaml:"value"`
}
