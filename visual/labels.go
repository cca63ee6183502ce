package visual

// Polish wording of the FA(3) codes, taken from the schema's documentation.

func invoiceTitle(kind string) string {
	switch kind {
	case "KOR":
		return "Faktura korygująca"
	case "ZAL":
		return "Faktura zaliczkowa"
	case "ROZ":
		return "Faktura rozliczeniowa"
	case "UPR":
		return "Faktura uproszczona"
	case "KOR_ZAL":
		return "Faktura korygująca fakturę zaliczkową"
	case "KOR_ROZ":
		return "Faktura korygująca fakturę rozliczeniową"
	default:
		return "Faktura VAT"
	}
}

// statusInfo is TStatusInfoPodatnika.
var statusInfo = map[string]string{
	"1": "Podatnik w stanie likwidacji",
	"2": "Podatnik w trakcie postępowania restrukturyzacyjnego",
	"3": "Podatnik w stanie upadłości",
	"4": "Przedsiębiorstwo w spadku",
}

// thirdPartyRoles is TRolaPodmiotu3.
var thirdPartyRoles = map[string]string{
	"1":  "Faktor",
	"2":  "Odbiorca",
	"3":  "Podmiot pierwotny",
	"4":  "Dodatkowy nabywca",
	"5":  "Wystawca faktury",
	"6":  "Dokonujący płatności",
	"7":  "JST – wystawca",
	"8":  "JST – odbiorca",
	"9":  "Członek grupy VAT – wystawca",
	"10": "Członek grupy VAT – odbiorca",
	"11": "Pracownik",
}

// authorizedRoles is TRolaPodmiotuUpowaznionego.
var authorizedRoles = map[string]string{
	"1": "Organ egzekucyjny",
	"2": "Komornik sądowy",
	"3": "Przedstawiciel podatkowy",
}

// correctionTypes is TTypKorekty.
var correctionTypes = map[string]string{
	"1": "korekta skutkująca w dacie ujęcia faktury pierwotnej",
	"2": "korekta skutkująca w dacie wystawienia faktury korygującej",
	"3": "korekta skutkująca w dacie innej",
}

// paymentMethods is TFormaPlatnosci.
var paymentMethods = map[string]string{
	"1": "Gotówka",
	"2": "Karta",
	"3": "Bon",
	"4": "Czek",
	"5": "Kredyt",
	"6": "Przelew",
	"7": "Płatność mobilna",
}

// rateLabel turns a TStawkaPodatku value into its printed form.
func rateLabel(p12 string) string {
	switch p12 {
	case "":
		return ""
	case "23", "22", "8", "7", "5", "4", "3":
		return p12 + "%"
	case "0 KR":
		return "0%"
	case "0 WDT":
		return "0% WDT"
	case "0 EX":
		return "0% EX"
	default: // zw, oo, np I, np II and anything new
		return p12
	}
}

// countryNames holds the Polish names of the countries most often seen on
// invoices; other codes are printed as the code.
var countryNames = map[string]string{
	"AT": "Austria", "BE": "Belgia", "BG": "Bułgaria", "CH": "Szwajcaria", "CY": "Cypr",
	"CZ": "Czechy", "DE": "Niemcy", "DK": "Dania", "EE": "Estonia", "ES": "Hiszpania",
	"FI": "Finlandia", "FR": "Francja", "GB": "Wielka Brytania", "GR": "Grecja", "HR": "Chorwacja",
	"HU": "Węgry", "IE": "Irlandia", "IT": "Włochy", "LT": "Litwa", "LU": "Luksemburg",
	"LV": "Łotwa", "MT": "Malta", "NL": "Holandia", "NO": "Norwegia", "PT": "Portugalia",
	"RO": "Rumunia", "SE": "Szwecja", "SI": "Słowenia", "SK": "Słowacja", "UA": "Ukraina",
	"US": "Stany Zjednoczone",
}
