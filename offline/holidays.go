package offline

import (
	"sync"
	"time"
	_ "time/tzdata" // Europe/Warsaw without a system zone database
)

// Calendar days are time.Time values at 00:00 UTC of the day: [Date]
// builds one, [DayOf] turns an instant into the calendar day it falls on
// in Poland. Every function of this file takes and returns such days.

// Date returns the calendar day y-m-d (00:00 UTC).
func Date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Warsaw returns the Europe/Warsaw time zone, in which KSeF's calendar
// days (issue dates, deadlines) are counted.
func Warsaw() *time.Location { return warsaw() }

// warsaw loads the zone on first use, not at start-up: reading and
// parsing the zone file is work that most runs of a program never need.
var warsaw = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Warsaw")
	if err != nil { // not reached: time/tzdata is embedded
		return time.FixedZone("CET", 3600)
	}
	return loc
})

// DayOf returns the calendar day on which the instant t falls in Poland.
func DayOf(t time.Time) time.Time {
	t = t.In(warsaw())
	return Date(t.Year(), t.Month(), t.Day())
}

// ParseDay reads a calendar day written YYYY-MM-DD (as P_1) or DD-MM-YYYY
// (as in KOD I links).
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse("02-01-2006", s); err2 != nil {
			return time.Time{}, err
		}
	}
	return t, nil
}

// Easter returns Easter Sunday of year (Gregorian calendar), computed with
// the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
func Easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date(year, time.Month(month), day)
}

// Holiday is a Polish public holiday (dzień ustawowo wolny od pracy).
type Holiday struct {
	// Date is the calendar day.
	Date time.Time
	// Name is the holiday's Polish name.
	Name string
}

// Holidays returns the public holidays of year in Poland in date order,
// per the act on non-working days (ustawa o dniach wolnych od pracy) as in
// force in that year: the fixed ones, the Easter-based ones (Easter Sunday
// and Monday, Pentecost Sunday, Corpus Christi), Epiphany from 2011 and
// Christmas Eve from 2025.
func Holidays(year int) []Holiday {
	e := Easter(year)
	hs := []Holiday{{Date(year, time.January, 1), "Nowy Rok"}}
	if year >= 2011 {
		hs = append(hs, Holiday{Date(year, time.January, 6), "Święto Trzech Króli"})
	}
	hs = append(hs,
		Holiday{e, "Wielkanoc"},
		Holiday{e.AddDate(0, 0, 1), "Poniedziałek Wielkanocny"},
		Holiday{Date(year, time.May, 1), "Święto Państwowe"},
		Holiday{Date(year, time.May, 3), "Święto Narodowe Trzeciego Maja"},
		Holiday{e.AddDate(0, 0, 49), "Zielone Świątki"},
		Holiday{e.AddDate(0, 0, 60), "Boże Ciało"},
		Holiday{Date(year, time.August, 15), "Wniebowzięcie Najświętszej Maryi Panny"},
		Holiday{Date(year, time.November, 1), "Wszystkich Świętych"},
		Holiday{Date(year, time.November, 11), "Narodowe Święto Niepodległości"},
	)
	if year >= 2025 {
		hs = append(hs, Holiday{Date(year, time.December, 24), "Wigilia Bożego Narodzenia"})
	}
	hs = append(hs,
		Holiday{Date(year, time.December, 25), "Boże Narodzenie (pierwszy dzień)"},
		Holiday{Date(year, time.December, 26), "Boże Narodzenie (drugi dzień)"},
	)
	// Easter-based days may fall among the fixed ones (Easter Monday on
	// 1 May, say): keep date order.
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && hs[j].Date.Before(hs[j-1].Date); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
	return hs
}

// HolidayName returns the name of the public holiday on day, or "".
func HolidayName(day time.Time) string {
	day = Date(day.Year(), day.Month(), day.Day())
	for _, h := range Holidays(day.Year()) {
		if h.Date.Equal(day) {
			return h.Name
		}
	}
	return ""
}

// IsBusinessDay reports whether day is a business day (dzień roboczy):
// neither a Saturday, a Sunday nor a public holiday.
func IsBusinessDay(day time.Time) bool {
	switch day.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return HolidayName(day) == ""
}

// AddBusinessDays returns the n-th business day after day (n >= 1); for
// n <= 0 it returns day.
func AddBusinessDays(day time.Time, n int) time.Time {
	day = Date(day.Year(), day.Month(), day.Day())
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if IsBusinessDay(day) {
			n--
		}
	}
	return day
}

// NextBusinessDay returns the first business day after day.
func NextBusinessDay(day time.Time) time.Time { return AddBusinessDays(day, 1) }
