package benchchart

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

// TestChartIsWellFormedSVG: the chart parses as XML, draws a point for each
// measured value (a gap for NaN), escapes names, and marks the goal.
func TestChartIsWellFormedSVG(t *testing.T) {
	c := Chart{Title: "a <live> run", XLabel: "events stored", X: []float64{1e6, 1e7, 3e7},
		Panels: []Panel{
			{Title: "p99", Unit: "ms", Goal: 20, Series: []Series{{Name: "app & co", Y: []float64{5, 12, 31}}, {Name: "analyst", Y: []float64{9, math.NaN(), 60}}}},
			{Title: "disk", Unit: "bytes/event", Series: []Series{{Name: "disk", Y: []float64{40, 38, 37}}}},
		}}
	var b strings.Builder
	if err := c.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	d := xml.NewDecoder(strings.NewReader(svg))
	circles, polylines := 0, 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "circle":
				circles++
			case "polyline":
				polylines++
			}
		}
	}
	if circles != 8 {
		t.Errorf("%d points, want 8 (one NaN left out)", circles)
	}
	if polylines != 2 { // app and disk: the gap leaves analyst's two points unjoined
		t.Errorf("%d lines, want 2", polylines)
	}
	for _, want := range []string{"a &lt;live&gt; run", "app &amp; co", ">goal<", ">30M<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
}

// TestChartRefusesWhatItCannotDraw: no x, x not ascending, a series of the
// wrong length.
func TestChartRefusesWhatItCannotDraw(t *testing.T) {
	for name, c := range map[string]Chart{
		"no x":          {},
		"not ascending": {X: []float64{10, 5}},
		"zero x":        {X: []float64{0, 5}},
		"short series":  {X: []float64{1, 2}, Panels: []Panel{{Series: []Series{{Name: "s", Y: []float64{1}}}}}},
	} {
		if err := c.WriteSVG(&strings.Builder{}); err == nil {
			t.Errorf("%s: drawn, want an error", name)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 0.3: 0.5, 1: 1, 1.1: 2, 7: 10, 180: 200, 4000: 5000} {
		if got := niceCeil(v); math.Abs(got-want) > 1e-9 {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}
