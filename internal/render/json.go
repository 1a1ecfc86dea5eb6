package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// FormatVersion is the version of the plan JSON format (docs/plan-json.md).
// Additive changes bump the minor version; breaking changes bump the major.
const FormatVersion = "1.3"

// formatMajor is the major version ReadJSON understands.
const formatMajor = 1

// The types below are the JSON format itself, kept apart from package plan
// so that the documented format changes only on purpose; each part of a
// change sits with its conversions to the format and back.

type jsonPlan struct {
	FormatVersion string             `json:"format_version"`
	Counts        jsonCounts         `json:"counts"`
	Environments  []*jsonEnvironment `json:"environments"`
	// BaseUnavailable: since 1.3.
	BaseUnavailable string `json:"base_unavailable,omitempty"`
}

type jsonCounts struct {
	Create     int `json:"create"`
	Update     int `json:"update"`
	Delete     int `json:"delete"`
	Adopt      int `json:"adopt"`
	Operations int `json:"operations"`
	// AccessKeySteps: since 1.3.
	AccessKeySteps int `json:"access_key_steps"`
}

type jsonEnvironment struct {
	Name       string          `json:"name"`
	AccountID  string          `json:"account_id"`
	Production bool            `json:"production"`
	Digest     string          `json:"digest"`
	Refused    string          `json:"refused,omitempty"`
	Warnings   []string        `json:"warnings"`
	Counts     jsonCounts      `json:"counts"`
	Changes    []*jsonChange   `json:"changes"`
	Unmanaged  []jsonUnmanaged `json:"unmanaged"`
	Undeclared []jsonUnmanaged `json:"undeclared"`
	// AccessKeys: since 1.2.
	AccessKeys []jsonAccessKey `json:"access_keys"`
	// TimeBound: since 1.2.
	TimeBound []plan.Grant `json:"time_bound,omitempty"`
	// EndChanges: since 1.3.
	EndChanges []plan.EndChange `json:"end_changes,omitempty"`
}

type jsonAccessKey struct {
	ServiceAccount    string                `json:"service_account"`
	DeliverTo         string                `json:"deliver_to"`
	SecretName        string                `json:"secret_name,omitempty"`
	PGPKeyFingerprint string                `json:"pgp_key_fingerprint,omitempty"`
	Destination       string                `json:"destination"`
	Summary           string                `json:"summary"`
	Refused           string                `json:"refused,omitempty"`
	Steps             []plan.AccessKeyStep  `json:"steps"`
	Findings          []plan.AccessKeyIssue `json:"findings"`
}

// toJSONAccessKey writes a's PGP key as its fingerprint.
func toJSONAccessKey(a plan.AccessKey) jsonAccessKey {
	ja := jsonAccessKey{ServiceAccount: a.ServiceAccount, DeliverTo: a.DeliverTo, SecretName: a.SecretName,
		Destination: a.Destination, Summary: a.Summary, Refused: a.Refused, Steps: nonNil(a.Steps), Findings: nonNil(a.Notes)}
	if a.PGPKey != "" {
		ja.PGPKeyFingerprint = fingerprintOf(a.PGPKey)
	}
	return ja
}

// fromJSONAccessKey reads a back without its PGP key, which the format
// carries only as a fingerprint.
func fromJSONAccessKey(a jsonAccessKey) plan.AccessKey {
	return plan.AccessKey{ServiceAccount: a.ServiceAccount, DeliverTo: a.DeliverTo, SecretName: a.SecretName,
		Destination: a.Destination, Summary: a.Summary, Refused: a.Refused, Steps: a.Steps, Notes: a.Findings}
}

type jsonChange struct {
	Action string `json:"action"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Reason string `json:"reason,omitempty"`
	// Phase and DependsOn: since 1.1.
	Phase     int           `json:"phase"`
	DependsOn []int         `json:"depends_on"`
	Before    *jsonResource `json:"before"`
	After     *jsonResource `json:"after"`
	Ops       []jsonOp      `json:"ops"`
}

// toJSONChange writes every slice of ch, empty or not, and its operations'
// PGP keys as fingerprints.
func toJSONChange(ch plan.Change) *jsonChange {
	return &jsonChange{
		Action:    string(ch.Action),
		Kind:      string(ch.Kind),
		Name:      ch.Name,
		Reason:    ch.Reason,
		Phase:     int(ch.Phase),
		DependsOn: nonNil(ch.DependsOn),
		Before:    toJSONResource(ch.Before),
		After:     toJSONResource(ch.After),
		Ops:       each(ch.Ops, toJSONOp),
	}
}

// fromJSONChange reads jc back, refusing an action roster does not know.
func fromJSONChange(jc *jsonChange) (plan.Change, error) {
	switch a := plan.Action(jc.Action); a {
	case plan.Create, plan.Update, plan.Delete, plan.Adopt:
	default:
		return plan.Change{}, fmt.Errorf("unknown action %q", a)
	}
	ch := plan.Change{
		Action:    plan.Action(jc.Action),
		Kind:      plan.Kind(jc.Kind),
		Name:      jc.Name,
		Reason:    jc.Reason,
		Phase:     plan.Phase(jc.Phase),
		DependsOn: jc.DependsOn,
		Before:    fromJSONResource(jc.Before),
		After:     fromJSONResource(jc.After),
		Ops:       []plan.Op{},
	}
	for _, jo := range jc.Ops {
		op := plan.Op(jo)
		op.PGPKey = "" // the format carries only the fingerprint
		ch.Ops = append(ch.Ops, op)
	}
	if len(ch.DependsOn) == 0 {
		ch.DependsOn = nil // as plan.Order leaves a change without dependencies
	}
	return ch, nil
}

// jsonResource is plan.Resource with its state.Access flattened, as the
// format writes it: every field always present, unlike plan.Resource's
// own JSON (the form its digest covers), which leaves empty ones out.
type jsonResource struct {
	Path                string            `json:"path"`
	Groups              []string          `json:"groups"`
	ManagedPolicies     []string          `json:"managed_policies"`
	InlinePolicies      map[string]string `json:"inline_policies"`
	PermissionsBoundary string            `json:"permissions_boundary"`
	Tags                map[string]string `json:"tags"`
	Console             bool              `json:"console"`
	Members             []string          `json:"members"`
}

func toJSONResource(r *plan.Resource) *jsonResource {
	if r == nil {
		return nil
	}
	return &jsonResource{
		Path:                r.Path,
		Groups:              nonNil(r.Groups),
		ManagedPolicies:     nonNil(r.ManagedPolicies),
		InlinePolicies:      nonNilMap(r.InlinePolicies),
		PermissionsBoundary: r.PermissionsBoundary,
		Tags:                nonNilMap(r.Tags),
		Console:             r.Console,
		Members:             nonNil(r.Members),
	}
}

func fromJSONResource(r *jsonResource) *plan.Resource {
	if r == nil {
		return nil
	}
	return &plan.Resource{
		Path: r.Path,
		Access: state.Access{Groups: r.Groups, ManagedPolicies: r.ManagedPolicies, InlinePolicies: r.InlinePolicies,
			PermissionsBoundary: r.PermissionsBoundary, Tags: r.Tags},
		Console: r.Console,
		Members: r.Members,
	}
}

// jsonOp is an operation as the format writes it: plan.Op's own JSON (the
// form its digest covers), with the PGP key left out for its fingerprint
// (see toJSONOp). TestJSONDocumented keeps every field documented.
type jsonOp plan.Op

// toJSONOp is op as the plan and apply JSON write it.
func toJSONOp(op plan.Op) jsonOp {
	jo := jsonOp(op)
	jo.PGPKey = ""
	jo.PGPKeyFingerprint = opFingerprint(op)
	return jo
}

type jsonUnmanaged struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

func toJSONUnmanaged(u plan.Unmanaged) jsonUnmanaged { return jsonUnmanaged(u) }

// JSON writes the plan in its documented, versioned JSON form
// (docs/plan-json.md): every environment with its digest, counts, changes,
// operations, before and after snapshots, unmanaged users, refusal and
// warnings. PGP keys are replaced by their fingerprints.
func JSON(w io.Writer, p *plan.Plan) error {
	if p == nil {
		p = &plan.Plan{}
	}
	out := jsonPlan{FormatVersion: FormatVersion, Environments: []*jsonEnvironment{}, BaseUnavailable: p.BaseUnavailable}
	operations := 0
	for _, e := range p.Environments {
		if e == nil {
			continue
		}
		je := toJSONEnvironment(e)
		out.Environments = append(out.Environments, je)
		operations += je.Counts.Operations
	}
	out.Counts = toJSONCounts(p.Counts(), operations)
	return writeJSON(w, "plan", out)
}

func toJSONCounts(c plan.Counts, operations int) jsonCounts {
	return jsonCounts{Create: c.Create, Update: c.Update, Delete: c.Delete, Adopt: c.Adopt, Operations: operations, AccessKeySteps: c.KeySteps}
}

// writeJSON writes v as indented JSON, the layout of every JSON form this
// package writes; what names the form in an error.
func writeJSON(w io.Writer, what string, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("render %s as JSON: %w", what, err)
	}
	return nil
}

func toJSONEnvironment(e *plan.Environment) *jsonEnvironment {
	operations := 0
	for _, ch := range e.Changes {
		operations += len(ch.Ops)
	}
	return &jsonEnvironment{
		Name:       e.Name,
		AccountID:  e.AccountID,
		Production: e.Production,
		Digest:     e.Digest,
		Refused:    e.Refused,
		Warnings:   nonNil(e.Warnings),
		Counts:     toJSONCounts(e.Counts(), operations),
		Changes:    each(e.Changes, toJSONChange),
		Unmanaged:  each(e.Unmanaged, toJSONUnmanaged),
		Undeclared: each(e.Undeclared, toJSONUnmanaged),
		AccessKeys: each(e.AccessKeys, toJSONAccessKey),
		TimeBound:  e.TimeBound,
		EndChanges: e.EndChanges,
	}
}

// each converts every element of s with to, into a list that is empty, not
// nil, when s is: the format writes every list, as [] when it has nothing.
func each[T, U any](s []T, to func(T) U) []U {
	out := make([]U, 0, len(s))
	for _, v := range s {
		out = append(out, to(v))
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// ErrFormatVersion means plan JSON was written in a format version this
// roster cannot read.
var ErrFormatVersion = errors.New("unsupported plan JSON format version")

// ReadJSON reads a plan written by JSON, for example to merge the plans of
// several jobs into one comment. It accepts any 1.x format version (fields
// it does not know are ignored). PGP keys are not restored: operations carry
// only their fingerprints, and Digest is kept as written.
func ReadJSON(r io.Reader) (*plan.Plan, error) {
	var in jsonPlan
	dec := json.NewDecoder(r)
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("read plan JSON: %w", err)
	}
	if err := checkVersion(in.FormatVersion); err != nil {
		return nil, fmt.Errorf("read plan JSON: %w", err)
	}
	p := &plan.Plan{Environments: []*plan.Environment{}, BaseUnavailable: in.BaseUnavailable}
	for i, je := range in.Environments {
		if je == nil {
			return nil, fmt.Errorf("read plan JSON: environments[%d] is null", i)
		}
		e, err := fromJSONEnvironment(je)
		if err != nil {
			return nil, fmt.Errorf("read plan JSON: environment %q: %w", je.Name, err)
		}
		p.Environments = append(p.Environments, e)
	}
	return p, nil
}

func checkVersion(v string) error {
	if v == "" {
		return fmt.Errorf("%w: format_version is missing", ErrFormatVersion)
	}
	majorText, _, _ := strings.Cut(v, ".")
	major, err := strconv.Atoi(majorText)
	if err != nil || major != formatMajor {
		return fmt.Errorf("%w: %q (this roster reads %d.x; upgrade roster to read it)", ErrFormatVersion, v, formatMajor)
	}
	return nil
}

func fromJSONEnvironment(je *jsonEnvironment) (*plan.Environment, error) {
	if je.Name == "" {
		return nil, errors.New("name is missing")
	}
	e := &plan.Environment{
		Name:       je.Name,
		AccountID:  je.AccountID,
		Production: je.Production,
		Digest:     je.Digest,
		Refused:    je.Refused,
		Warnings:   je.Warnings,
		Changes:    []plan.Change{},
		TimeBound:  je.TimeBound,
		EndChanges: je.EndChanges,
	}
	for i, jc := range je.Changes {
		if jc == nil {
			return nil, fmt.Errorf("changes[%d] is null", i)
		}
		ch, err := fromJSONChange(jc)
		if err != nil {
			return nil, fmt.Errorf("changes[%d]: %w", i, err)
		}
		e.Changes = append(e.Changes, ch)
	}
	for _, u := range je.Undeclared {
		e.Undeclared = append(e.Undeclared, plan.Unmanaged(u))
	}
	for _, u := range je.Unmanaged {
		e.Unmanaged = append(e.Unmanaged, plan.Unmanaged(u))
	}
	for _, a := range je.AccessKeys {
		e.AccessKeys = append(e.AccessKeys, fromJSONAccessKey(a))
	}
	return e, nil
}
