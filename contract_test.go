package rebate_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rebatehq/rebate"
)

var (
	sectionRe  = regexp.MustCompile("(?m)^### (.+)$")
	fieldRowRe = regexp.MustCompile("(?m)^\\| (`[a-z_]+`(?:, `[a-z_]+`)*) \\|")
	backtickRe = regexp.MustCompile("`([a-z_]+)`")
)

// TestContractMatchesEventsDoc: each type's section of docs/events.md lists
// exactly the fields the decoder checks for it, in the same order, so the
// doc producers read and the code cannot drift apart.
func TestContractMatchesEventsDoc(t *testing.T) {
	doc, err := os.ReadFile("docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	types := strings.Index(text, "## Types")
	if types < 0 {
		t.Fatal("docs/events.md has no ## Types section")
	}
	text = text[types:]
	if end := strings.Index(text[1:], "\n## "); end >= 0 {
		text = text[:end+1]
	}
	seen := map[rebate.EventType]bool{}
	heads := sectionRe.FindAllStringSubmatchIndex(text, -1)
	for i, h := range heads {
		end := len(text)
		if i+1 < len(heads) {
			end = heads[i+1][0]
		}
		body := text[h[1]:end]
		var documented []string
		for _, row := range fieldRowRe.FindAllStringSubmatch(body, -1) {
			for _, name := range backtickRe.FindAllStringSubmatch(row[1], -1) {
				documented = append(documented, name[1])
			}
		}
		for _, name := range backtickRe.FindAllStringSubmatch(text[h[2]:h[3]], -1) {
			typ, ok := rebate.ParseEventType(name[1])
			if !ok {
				t.Errorf("docs/events.md documents a type %q the contract does not have", name[1])
				continue
			}
			seen[typ] = true
			var want []string
			for _, f := range rebate.FieldsOf(typ) {
				want = append(want, f.Name)
			}
			if strings.Join(documented, ",") != strings.Join(want, ",") {
				t.Errorf("docs/events.md lists %v for %s; the contract checks %v", documented, typ, want)
			}
		}
	}
	for _, typ := range rebate.EventTypes() {
		if !seen[typ] {
			t.Errorf("docs/events.md has no section for %s", typ)
		}
	}
}
