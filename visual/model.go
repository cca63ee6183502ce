package visual

// Invoice is the view model of an invoice as it is printed: labels are
// resolved, codes are turned into words, and every amount, quantity and
// price is a decimal string exactly as in the invoice (dot as decimal
// separator, e.g. "1234.50"); the renderers format them the Polish way
// ("1 234,50"). Empty fields are not printed.
//
// [FromFA3] builds an Invoice from an FA(3) document; callers may also fill
// one by hand or adjust what FromFA3 produced (for example set KSeFNumber
// and the QR links after the invoice was accepted).
type Invoice struct {
	// Title is the printed document name, e.g. "Faktura VAT" or "Faktura korygująca".
	Title string
	// Kind is the RodzajFaktury code (VAT, KOR, ZAL, ROZ, UPR, KOR_ZAL, KOR_ROZ).
	Kind string
	// FormCode is the schema the invoice was issued in, e.g. "FA (3)".
	FormCode string
	// Number is P_2, the invoice number given by the seller.
	Number string
	// KSeFNumber is the number KSeF assigned; empty for an invoice not (yet) in KSeF.
	KSeFNumber string
	// IssueDate is P_1 (YYYY-MM-DD).
	IssueDate string
	// IssuePlace is P_1M.
	IssuePlace string
	// SaleDate is P_6, the date of delivery or completion of the service.
	SaleDate string
	// PeriodFrom and PeriodTo are OkresFa (P_6_Od, P_6_Do), the period the invoice covers.
	PeriodFrom, PeriodTo string
	// Currency is KodWaluty, e.g. "PLN".
	Currency string
	// ExchangeRate is KursWalutyZ.
	ExchangeRate string

	// Seller is Podmiot1.
	Seller Party
	// Buyer is Podmiot2.
	Buyer Party
	// ThirdParties are Podmiot3 entries (with Role set).
	ThirdParties []Party
	// AuthorizedParty is PodmiotUpowazniony, if any.
	AuthorizedParty *Party

	// Correction holds the data of a correcting invoice; nil otherwise.
	Correction *Correction

	// Lines are the FaWiersz entries in order.
	Lines []Line
	// Order is Zamowienie: the ordered goods or services an advance invoice
	// (ZAL, KOR_ZAL) is paid for; nil when absent.
	Order *Order
	// VATSummary has one row per tax rate present on the invoice.
	VATSummary []VATRow
	// Totals are the invoice's sums.
	Totals Totals
	// Settlement is Rozliczenie (charges and deductions); nil when absent.
	Settlement *Settlement
	// Payment is Platnosc; nil when absent.
	Payment *Payment
	// Annotations are the statements the law requires on the invoice
	// (Adnotacje), already in words, e.g. "mechanizm podzielonej płatności".
	// Only annotations that apply are listed.
	Annotations []string
	// AdditionalInfo are DodatkowyOpis key/value pairs and other notes.
	AdditionalInfo []KeyValue
	// Orders and Contracts are WarunkiTransakcji/Zamowienia and Umowy.
	Orders, Contracts []Reference
	// Footer is Stopka: free text and registry numbers.
	Footer Footer

	// VerificationLink is the KOD I link (https://{qr-host}/invoice/...),
	// printed as a QR code labelled with the KSeF number or "OFFLINE".
	VerificationLink string
	// CertificateLink is the KOD II link of an offline invoice
	// (https://{qr-host}/certificate/...), printed as a QR code labelled
	// "CERTYFIKAT". Leave empty for invoices issued online.
	CertificateLink string
}

// Party is a seller, buyer, third party or authorised party.
type Party struct {
	// Role names the party's role for third parties, e.g. "Odbiorca"; empty
	// for the seller and the buyer.
	Role string
	// Name is Nazwa.
	Name string
	// NIP is the Polish tax identification number, if the party has one.
	NIP string
	// TaxIDs are other identifiers with their labels, e.g.
	// {"NIP VAT UE", "DE123456789"}, {"Identyfikator wewnętrzny", ...}.
	TaxIDs []KeyValue
	// Address holds the address lines (AdresL1, AdresL2, country).
	Address []string
	// CorrespondenceAddress holds AdresKoresp lines, if different.
	CorrespondenceAddress []string
	// Emails and Phones come from DaneKontaktowe.
	Emails, Phones []string
	// CustomerNumber is NrKlienta.
	CustomerNumber string
	// EORI is NrEORI.
	EORI string
	// Share is Udzial, the share of a third party (percent).
	Share string
	// Notes are further facts worth printing, e.g. the taxpayer status.
	Notes []string
}

// KeyValue is a labelled value.
type KeyValue struct {
	Key, Value string
}

// Reference is a dated document reference (an order or a contract).
type Reference struct {
	Number, Date string
}

// Correction describes what a correcting invoice corrects.
type Correction struct {
	// Reason is PrzyczynaKorekty.
	Reason string
	// Type is TypKorekty in words.
	Type string
	// Invoices are the corrected invoices (DaneFaKorygowanej).
	Invoices []CorrectedInvoice
	// Period is OkresFaKorygowanej.
	Period string
}

// CorrectedInvoice identifies one corrected invoice.
type CorrectedInvoice struct {
	Number, IssueDate, KSeFNumber string
}

// Line is one invoice line (FaWiersz).
type Line struct {
	// No is NrWierszaFa.
	No string
	// Name is P_7.
	Name string
	// Index, GTIN and PKWiU are identifiers of the goods or service.
	Index, GTIN, PKWiU string
	// Unit is P_8A, e.g. "szt.".
	Unit string
	// Quantity is P_8B.
	Quantity string
	// UnitNetPrice is P_9A; UnitGrossPrice is P_9B.
	UnitNetPrice, UnitGrossPrice string
	// Discount is P_10.
	Discount string
	// Net is P_11; Gross is P_11A; VAT is P_11Vat.
	Net, Gross, VAT string
	// VATRate is the printable rate, e.g. "23%", "zw", "np I", "oo".
	VATRate string
	// SaleDate is P_6A, when it differs per line.
	SaleDate string
	// Before marks a StanPrzed line of a correcting invoice (the state before
	// the correction).
	Before bool
}

// Order is the order an advance invoice refers to (Zamowienie).
type Order struct {
	// Value is WartoscZamowienia, the total (gross) value of the order.
	Value string
	// Lines are the ZamowienieWiersz entries (Net is P_11NettoZ, VAT is P_11VatZ).
	Lines []Line
}

// VATRow is one row of the per-rate summary.
type VATRow struct {
	// Rate is the printable rate or category, e.g. "23%", "zw", "0% WDT".
	Rate string
	// Net is the net sum (P_13_x); VAT is the tax (P_14_x); Gross = Net + VAT.
	Net, VAT, Gross string
	// VATPLN is the tax converted to PLN (P_14_xW) for invoices in a foreign currency.
	VATPLN string
}

// Totals are the invoice sums.
type Totals struct {
	// Net is the sum of the net values of the summary rows.
	Net string
	// VAT is the sum of the tax amounts of the summary rows.
	VAT string
	// Gross is P_15, the total amount due ("Razem do zapłaty").
	Gross string
}

// Settlement is Rozliczenie: charges and deductions after the totals.
type Settlement struct {
	Charges, Deductions []KeyValue
	// ChargesTotal and DeductionsTotal are SumaObciazen and SumaOdliczen.
	ChargesTotal, DeductionsTotal string
	// Due is DoZaplaty; ToSettle is DoRozliczenia.
	Due, ToSettle string
}

// Payment is Platnosc.
type Payment struct {
	// Paid reports Zaplacono=1; PaidDate is DataZaplaty.
	Paid     bool
	PaidDate string
	// PartialPayments are ZaplataCzesciowa entries (amount, date).
	PartialPayments []KeyValue
	// DueDates are TerminPlatnosci entries, already in words where needed.
	DueDates []string
	// Method is FormaPlatnosci in words (e.g. "Przelew") or OpisPlatnosci.
	Method string
	// BankAccounts are RachunekBankowy entries; FactorAccounts are RachunekBankowyFaktora.
	BankAccounts, FactorAccounts []BankAccount
	// Discount describes Skonto (conditions and amount).
	Discount string
	// Link is LinkDoPlatnosci; IPKSeF is the payment identifier IPKSeF.
	Link, IPKSeF string
}

// BankAccount is a bank account for payment.
type BankAccount struct {
	// Number is NrRB as given; renderers group a 26-digit Polish number as
	// "NN NNNN NNNN NNNN NNNN NNNN NNNN".
	Number string
	SWIFT  string
	// BankName is NazwaBanku; Description is OpisRachunku.
	BankName, Description string
}

// Footer is Stopka.
type Footer struct {
	// Texts are StopkaFaktury entries.
	Texts []string
	// Registries are KRS, REGON, BDO and full name entries with labels.
	Registries []KeyValue
}
