package rt

// dateTime is a parsed date, dateTime or gYear value.
type dateTime struct {
	year         int64
	month, day   int
	hour, minute int
	sec          float64
	tz           bool
	tzMinutes    int
	hasTimeOfDay bool
}

func isLeap(y int64) bool { return (y%4 == 0 && y%100 != 0) || y%400 == 0 }

func daysIn(y int64, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func twoDigits(s string) (int, string, bool) {
	if len(s) < 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, s, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), s[2:], true
}

// parseYear parses libxml2's CCYY: optional '-', at least four digits, no
// leading zero when longer than four, not zero.
func parseYear(s string) (int64, string, bool) {
	neg := false
	if s != "" && s[0] == '-' {
		neg = true
		s = s[1:]
	}
	i := 0
	var y int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if y > (1<<63-1-9)/10 {
			return 0, s, false
		}
		y = y*10 + int64(s[i]-'0')
		i++
	}
	if i < 4 || (i > 4 && s[0] == '0') || y == 0 {
		return 0, s, false
	}
	if neg {
		y = -y
	}
	return y, s[i:], true
}

func parseTZ(s string, d *dateTime) bool {
	if s == "" {
		return true
	}
	if s == "Z" {
		d.tz = true
		return true
	}
	if s[0] != '+' && s[0] != '-' {
		return false
	}
	neg := s[0] == '-'
	h, rest, ok := twoDigits(s[1:])
	if !ok || h > 23 || rest == "" || rest[0] != ':' {
		return false
	}
	m, rest, ok := twoDigits(rest[1:])
	if !ok || m > 59 || rest != "" {
		return false
	}
	off := h*60 + m
	if off > 14*60 {
		return false
	}
	if neg {
		off = -off
	}
	d.tz = true
	d.tzMinutes = off
	return true
}

// parseDateTime parses a date, dateTime or gYear lexical value with
// libxml2's rules (year 0000 invalid, leap days, hour 24 only as 24:00:00,
// time zones up to ±14:00).
func parseDateTime(s string, k Kind) (dateTime, bool) {
	var d dateTime
	y, rest, ok := parseYear(s)
	if !ok {
		return d, false
	}
	d.year = y
	d.month, d.day = 1, 1
	if k == KindGYear {
		return d, parseTZ(rest, &d)
	}
	if rest == "" || rest[0] != '-' {
		return d, false
	}
	if d.month, rest, ok = twoDigits(rest[1:]); !ok || d.month < 1 || d.month > 12 {
		return d, false
	}
	if rest == "" || rest[0] != '-' {
		return d, false
	}
	if d.day, rest, ok = twoDigits(rest[1:]); !ok || d.day < 1 || d.day > daysIn(d.year, d.month) {
		return d, false
	}
	if k == KindDate {
		return d, parseTZ(rest, &d)
	}
	if rest == "" || rest[0] != 'T' {
		return d, false
	}
	d.hasTimeOfDay = true
	if d.hour, rest, ok = twoDigits(rest[1:]); !ok || d.hour > 24 || rest == "" || rest[0] != ':' {
		return d, false
	}
	if d.minute, rest, ok = twoDigits(rest[1:]); !ok || d.minute > 59 || rest == "" || rest[0] != ':' {
		return d, false
	}
	sec, rest, ok := twoDigits(rest[1:])
	if !ok {
		return d, false
	}
	d.sec = float64(sec)
	if rest != "" && rest[0] == '.' {
		rest = rest[1:]
		if rest == "" || rest[0] < '0' || rest[0] > '9' {
			return d, false
		}
		mult := 1.0
		for rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			mult /= 10
			d.sec += float64(rest[0]-'0') * mult
			rest = rest[1:]
		}
	}
	if d.sec >= 60 {
		return d, false
	}
	if d.hour == 24 && (d.minute != 0 || d.sec != 0) {
		return d, false
	}
	return d, parseTZ(rest, &d)
}

// daysFromCivil converts a proleptic Gregorian date to days since 1970-01-01.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// seconds returns the value as seconds since the epoch, in UTC when the
// value has a time zone.
func (d dateTime) seconds() float64 {
	days := daysFromCivil(d.year, d.month, d.day)
	s := float64(days)*86400 + float64(d.hour*3600+d.minute*60) + d.sec
	if d.tz {
		s -= float64(d.tzMinutes * 60)
	}
	return s
}

func (d dateTime) equal(o dateTime) bool {
	return d.tz == o.tz && d.seconds() == o.seconds()
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// dateBoundHolds decides a range facet on date/time values. A value
// without a time zone stands anywhere within ±14 hours of its UTC reading;
// the facet holds only when it holds for the whole interval.
func dateBoundHolds(op BoundOp, v, b dateTime) bool {
	const window = 14 * 3600
	vs, bs := v.seconds(), b.seconds()
	vmin, vmax, bmin, bmax := vs, vs, bs, bs
	if v.tz != b.tz {
		if !v.tz {
			vmin, vmax = vs-window, vs+window
		} else {
			bmin, bmax = bs-window, bs+window
		}
	}
	return boundHolds(op, cmpFloat(vmin, bmax), cmpFloat(vmax, bmin))
}
