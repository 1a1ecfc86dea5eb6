package render

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/report"
)

// reportHTML is the access matrix page. It is parsed with html/template, so
// every value is escaped for where it lands in the page.
var reportHTML = htmltemplate.Must(htmltemplate.New("report.html.tmpl").
	ParseFS(templateFS, "templates/report.html.tmpl"))

// GitHubSummaryLimit is the largest job summary GitHub shows for one step,
// in bytes.
const GitHubSummaryLimit = 1 << 20

// ReportOptions shape the Markdown access matrix. The zero value is the
// whole report.
type ReportOptions struct {
	// MaxLength, when positive, is the longest output in bytes
	// (GitHubSummaryLimit for a job summary). A longer report first loses
	// its per-environment tables, then is cut at a row of the matrix with a
	// note saying how to get all of it.
	MaxLength int
}

// ReportMarkdown writes the access matrix as Markdown for a job summary or a
// pull-request comment: one compact matrix of every user across the
// environments, a list of admin-equivalent access, and one collapsible table
// per environment with the effective policies. Every string that came from a
// manifest or AWS is escaped.
func ReportMarkdown(w io.Writer, m *report.Matrix, opts ReportOptions) error {
	v := newReportView(m)
	body, err := executeReportMarkdown(v)
	if err != nil {
		return err
	}
	if opts.MaxLength > 0 && len(body) > opts.MaxLength {
		v.Compact = true
		if body, err = executeReportMarkdown(v); err != nil {
			return err
		}
	}
	if opts.MaxLength > 0 && len(body) > opts.MaxLength {
		body = cutReport(body, opts.MaxLength)
	}
	_, err = io.WriteString(w, body)
	return err
}

// reportCutNote ends a Markdown report cut short by MaxLength.
const reportCutNote = "\n*The access matrix is too long for this page and was cut short: run `roster report --format html` for all of it.*\n"

// cutReport cuts body at the last whole line that leaves room for the note.
func cutReport(body string, limit int) string {
	budget := limit - len(reportCutNote)
	if budget <= 0 {
		return ""
	}
	cut := strings.LastIndexByte(body[:budget], '\n')
	if cut < 0 {
		return ""
	}
	return body[:cut+1] + reportCutNote
}

func executeReportMarkdown(v *reportView) (string, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "report.md.tmpl", v); err != nil {
		return "", fmt.Errorf("render access matrix as markdown: %w", err)
	}
	return buf.String(), nil
}

// ReportHTML writes the access matrix as one self-contained HTML page (inline
// CSS, no scripts, fonts or images from elsewhere): a sticky header row of
// environments in promotion order, production columns highlighted, and
// admin-equivalent access in red.
func ReportHTML(w io.Writer, m *report.Matrix) error {
	var buf bytes.Buffer
	if err := reportHTML.Execute(&buf, newReportView(m)); err != nil {
		return fmt.Errorf("render access matrix as html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// reportView is the matrix prepared for both templates. Fields ending in MD
// hold Markdown already escaped; every other string is raw, for html/template
// to escape.
type reportView struct {
	Date    string
	Source  string
	Live    bool
	Columns []reportColumn
	// Sections group the rows: people, service accounts, unmanaged users.
	Sections []reportSection
	Admins   []reportAdmin
	Users    int
	// Span is the number of table columns: the user and every environment.
	Span int
	// Compact leaves out the Markdown per-environment tables.
	Compact bool
	// HeaderMD and RuleMD are the Markdown matrix's header and separator rows.
	HeaderMD, RuleMD string
}

type reportColumn struct {
	Name, NameMD, AccountID string
	// Summary and Counts count the column's users, for people.
	Summary, Counts         string
	Production, Live        bool
	People, Services, Admin int
	// Rows are this environment's users, for the Markdown detail table.
	Rows []reportDetail
}

type reportSection struct {
	Title string
	Rows  []reportRow
}

type reportRow struct {
	Name, Kind string
	Owners     []string
	Admin      bool
	Cells      []reportCell
	// MD is the row of the Markdown matrix.
	MD string
}

type reportCell struct {
	Empty, Production, Admin bool
	// Pending: declared, but live IAM (which was read) lacks the user.
	Pending                 bool
	Flags                   []string
	Groups                  []string
	Policies, Inline        []reportGrant
	Boundary, BoundaryShort string
	Creds                   []string
	Notes                   []string
	Drift                   []string
}

type reportGrant struct {
	Name, Full string
	Direct     bool
	// Via names where the policy comes from; "" when only the user has it.
	Via string
	// ShowVia is set where the source is not obvious: the user has more
	// than one group, or the policy comes both directly and from a group.
	ShowVia bool
}

type reportDetail struct {
	MD string
}

type reportAdmin struct {
	User, Env  string
	Production bool
	Reasons    []string
	MD         string
}

func newReportView(m *report.Matrix) *reportView {
	if m == nil {
		m = &report.Matrix{}
	}
	v := &reportView{Date: m.Date.Format(time.DateOnly), Live: m.Live, Users: len(m.Rows), Span: len(m.Columns) + 1}
	v.Source = "the manifests (desired state)"
	if m.Live {
		v.Source = "live IAM where a snapshot was given, otherwise the manifests"
	}
	header, rule := []string{"User"}, []string{"---"}
	for _, c := range m.Columns {
		col := reportColumn{Name: c.Name, NameMD: EscapeMarkdown(c.Name), AccountID: c.AccountID, Production: c.Production,
			Live: c.Live, People: c.People, Services: c.ServiceAccounts, Admin: c.Admins}
		col.Counts = countWords(c.People, "person", "people") + " · " + countWords(c.ServiceAccounts, "service account", "service accounts")
		col.Summary = countWords(c.People, "person", "people") + ", " + countWords(c.ServiceAccounts, "service account", "service accounts")
		if c.Admins > 0 {
			col.Summary += ", " + countWords(c.Admins, "admin-equivalent", "admin-equivalent")
		}
		h := col.NameMD
		if c.Production {
			h = "🔒 **" + h + "**"
		}
		if c.Live {
			h += " (live)"
		}
		header, rule = append(header, h), append(rule, "---")
		v.Columns = append(v.Columns, col)
	}
	v.HeaderMD = "| " + strings.Join(header, " | ") + " |"
	v.RuleMD = "| " + strings.Join(rule, " | ") + " |"
	titles := map[report.Kind]string{report.Person: "People", report.ServiceAccount: "Service accounts", report.Unmanaged: "Not in the manifests (live IAM only)"}
	for _, r := range m.Rows {
		row := reportRow{Name: r.Name, Kind: string(r.Kind), Owners: r.Owners, Admin: r.Admin()}
		md := []string{rowNameMD(r)}
		for i, c := range r.Cells {
			col := m.Columns[i]
			cell := newReportCell(c, col)
			row.Cells = append(row.Cells, cell)
			md = append(md, compactCellMD(c, cell))
			if !cell.Empty {
				v.Columns[i].Rows = append(v.Columns[i].Rows, reportDetail{MD: detailRowMD(r, cell)})
			}
			if cell.Admin {
				a := reportAdmin{User: r.Name, Env: col.Name, Production: col.Production, Reasons: cell.Flags}
				env := EscapeMarkdown(col.Name)
				if col.Production {
					env = "🔒 **" + env + "**"
				}
				a.MD = fmt.Sprintf("- 🔴 **%s** in %s: %s", EscapeMarkdown(r.Name), env, strings.Join(escapeAll(cell.Flags), "; "))
				v.Admins = append(v.Admins, a)
			}
		}
		row.MD = "| " + strings.Join(md, " | ") + " |"
		if n := len(v.Sections); n == 0 || v.Sections[n-1].Title != titles[r.Kind] {
			v.Sections = append(v.Sections, reportSection{Title: titles[r.Kind]})
		}
		s := &v.Sections[len(v.Sections)-1]
		s.Rows = append(s.Rows, row)
	}
	// Production first: who can reach production is the first question.
	slices.SortStableFunc(v.Admins, func(a, b reportAdmin) int { return trueFirst(a.Production, b.Production) })
	return v
}

func newReportCell(c *report.Cell, col *report.Column) reportCell {
	cell := reportCell{Production: col.Production}
	if c == nil {
		cell.Empty = true
		return cell
	}
	switch {
	case c.Absent:
		cell.Notes = append(cell.Notes, "marked absent: removed on the next apply")
	case c.Expired:
		cell.Notes = append(cell.Notes, "expired "+c.Expires.Written()+": removed on the next apply")
	case c.Expires != nil && c.Expires.Day:
		cell.Notes = append(cell.Notes, "expires "+c.Expires.Written())
	case c.Expires != nil:
		cell.Notes = append(cell.Notes, "until "+c.Expires.String())
	}
	for _, g := range c.Memberships {
		cell.Notes = append(cell.Notes, "in "+g.Group+" until "+g.String())
	}
	if c.Removed {
		cell.Notes = append(cell.Notes, "in no manifest but tagged as managed: roster leaves it alone; mark it absent: true to offboard it")
	} else if c.Desired == nil && c.Live != nil && !c.Expired && !c.Absent {
		cell.Notes = append(cell.Notes, "not in the manifests")
	}
	if c.Pending(col) {
		cell.Pending = true
		cell.Notes = append(cell.Notes, "not created yet")
	}
	cell.Drift = c.Drift()
	a := c.Shown()
	if a == nil {
		return cell
	}
	cell.Admin = len(a.Flags) > 0
	for _, f := range a.Flags {
		cell.Flags = append(cell.Flags, f.Reason)
	}
	cell.Groups = a.Groups
	cell.Policies = grantsView(a.ManagedPolicies, len(a.Groups) > 1)
	cell.Inline = grantsView(a.InlinePolicies, len(a.Groups) > 1)
	cell.Boundary = a.Boundary
	cell.BoundaryShort = report.Grant{Name: a.Boundary}.ShortName()
	if a.ConsoleKnown && a.Console {
		cell.Creds = append(cell.Creds, "console")
	}
	if a.KeysKnown {
		if a.ActiveKeys > 0 {
			cell.Creds = append(cell.Creds, plural(a.ActiveKeys, "access key"))
		}
		if a.MFADevices > 0 {
			cell.Creds = append(cell.Creds, "MFA")
		}
	}
	return cell
}

func grantsView(gs []report.Grant, manyGroups bool) []reportGrant {
	out := make([]reportGrant, 0, len(gs))
	for _, g := range gs {
		rg := reportGrant{Name: g.ShortName(), Full: g.Name, Direct: g.Direct}
		if len(g.Groups) > 0 {
			rg.Via = strings.Join(g.Via(), ", ")
			rg.ShowVia = manyGroups || g.Direct
		}
		out = append(out, rg)
	}
	return out
}

func rowNameMD(r *report.Row) string {
	s := "**" + EscapeMarkdown(r.Name) + "**"
	switch r.Kind {
	case report.ServiceAccount:
		s += " 🤖"
	case report.Unmanaged:
		s += " ❔"
	case report.Person:
	}
	return s
}

// compactCellMD is a matrix cell: the groups, the policies not granted
// through a group, and a red mark for admin-equivalent access.
func compactCellMD(c *report.Cell, cell reportCell) string {
	if cell.Empty {
		return "·"
	}
	var parts []string
	if cell.Admin {
		parts = append(parts, "🔴 **admin**")
	}
	if len(cell.Groups) > 0 {
		parts = append(parts, mdList(cell.Groups))
	}
	var direct []string
	for _, g := range cell.Policies {
		if g.Direct {
			direct = append(direct, g.Name)
		}
	}
	if len(direct) > 0 {
		parts = append(parts, "*"+mdList(direct)+"*")
	}
	var inline []string
	for _, g := range cell.Inline {
		// roster's own MFA policy goes with console access, shown below.
		if g.Direct && g.Name != plan.RequireMFAPolicyName {
			inline = append(inline, g.Name)
		}
	}
	if len(inline) > 0 {
		parts = append(parts, "inline: *"+mdList(inline)+"*")
	}
	if len(cell.Creds) > 0 {
		parts = append(parts, mdList(cell.Creds))
	}
	switch {
	case c.Absent:
		parts = append(parts, "~~absent~~")
	case c.Expired:
		parts = append(parts, "~~expired~~")
	case c.Removed || (c.Desired == nil && c.Live != nil):
		parts = append(parts, "not in manifests")
	}
	if cell.Pending {
		parts = append(parts, "not created yet")
	}
	if len(cell.Drift) > 0 {
		parts = append(parts, "⚠️ drift")
	}
	if len(parts) == 0 {
		return "✓"
	}
	return strings.Join(parts, "<br>")
}

// detailRowMD is a row of an environment's detail table.
func detailRowMD(r *report.Row, cell reportCell) string {
	grants := func(gs []reportGrant) string {
		var out []string
		for _, g := range gs {
			s := EscapeMarkdown(g.Name)
			if g.Via != "" {
				s += " (" + EscapeMarkdown(g.Via) + ")"
			}
			out = append(out, s)
		}
		return orDash(strings.Join(out, "<br>"))
	}
	var notes []string
	for _, f := range cell.Flags {
		notes = append(notes, "🔴 "+EscapeMarkdown(f))
	}
	for _, n := range cell.Notes {
		notes = append(notes, EscapeMarkdown(n))
	}
	for _, d := range cell.Drift {
		notes = append(notes, "⚠️ drift: "+EscapeMarkdown(d))
	}
	boundary := "—"
	if cell.Boundary != "" {
		boundary = EscapeMarkdown(cell.BoundaryShort)
	}
	name := rowNameMD(r)
	if len(r.Owners) > 0 {
		name += "<br>owner: " + mdList(r.Owners)
	}
	return "| " + strings.Join([]string{
		name,
		orDash(mdList(cell.Groups)),
		grants(cell.Policies),
		grants(cell.Inline),
		boundary,
		orDash(mdList(cell.Creds)),
		orDash(strings.Join(notes, "<br>")),
	}, " | ") + " |"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func countWords(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func escapeAll(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = EscapeMarkdown(s)
	}
	return out
}
