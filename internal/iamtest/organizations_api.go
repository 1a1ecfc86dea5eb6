package iamtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// orgTargetPrefix starts the X-Amz-Target header of every Organizations
// request (the JSON 1.1 protocol names the service and the operation there).
const orgTargetPrefix = "AWSOrganizationsV20161128."

// orgError is an error in the JSON protocol's shape: HTTP 400 (500 for
// ServiceException) with {"__type": code, "Message": text}.
type orgError struct {
	code, msg string
	reason    string // InvalidInputException's Reason
}

func orgErrorf(code, format string, args ...any) *orgError {
	return &orgError{code: code, msg: fmt.Sprintf(format, args...)}
}

func invalidOrgInput(reason, format string, args ...any) *orgError {
	e := orgErrorf("InvalidInputException", format, args...)
	e.reason = reason
	return e
}

// orgRequest is one parsed Organizations request.
type orgRequest struct {
	op     string
	body   map[string]json.RawMessage
	caller principal
}

type orgHandler func(o *Organization, r *orgRequest) (any, *orgError)

var orgHandlers = map[string]orgHandler{
	"ListAccounts":               listOrgAccounts,
	"ListParents":                listParents,
	"DescribeOrganizationalUnit": describeOU,
	"ListTagsForResource":        listOrgTags,
}

// isOrganizations reports whether hr is an Organizations request.
func isOrganizations(hr *http.Request) bool {
	return strings.HasPrefix(hr.Header.Get("X-Amz-Target"), orgTargetPrefix)
}

// serveOrganizations answers one request of the JSON 1.1 protocol.
func (s *Server) serveOrganizations(w http.ResponseWriter, hr *http.Request) {
	op := strings.TrimPrefix(hr.Header.Get("X-Amz-Target"), orgTargetPrefix)
	raw, err := io.ReadAll(hr.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if hr.Method != http.MethodPost || hr.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		writeOrgError(w, orgErrorf("UnknownOperationException", "Operation requires POST with application/x-amz-json-1.1"))
		return
	}
	s.mu.Lock()
	caller, aerr := s.caller(hr)
	reqID := s.requestID()
	var scripted string
	if aerr == nil {
		if s.calls[caller.account] == nil {
			s.calls[caller.account] = map[string]int{}
		}
		s.calls[caller.account][op]++
		scripted = s.takeScripted(op, nil)
		aerr = s.authorizeOrg(caller, op)
	}
	s.mu.Unlock()
	w.Header().Set("X-Amzn-Requestid", reqID)
	switch {
	case aerr != nil:
		writeOrgError(w, &orgError{code: orgCode(aerr.code), msg: aerr.msg})
		return
	case scripted != "":
		writeOrgError(w, orgErrorf(scripted, "Injected %s for %s.", scripted, op))
		return
	}
	h, ok := orgHandlers[op]
	if !ok {
		writeOrgError(w, orgErrorf("UnknownOperationException", "The fake does not serve %s.", op))
		return
	}
	r := &orgRequest{op: op, caller: caller}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		writeOrgError(w, orgErrorf("SerializationException", "Start of structure or map found where not expected."))
		return
	}
	o, oerr := s.orgs.callerOrg(caller)
	if oerr != nil {
		writeOrgError(w, oerr)
		return
	}
	o.mu.Lock()
	out, oerr := h(o, r)
	o.mu.Unlock()
	if oerr != nil {
		writeOrgError(w, oerr)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeOrgError(w, orgErrorf("ServiceException", "%v", err))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// orgCode maps the IAM fake's authentication codes to Organizations' names.
func orgCode(code string) string {
	switch code {
	case "AccessDenied":
		return "AccessDeniedException"
	case "InvalidClientTokenId":
		return "UnrecognizedClientException"
	}
	return code
}

// authorizeOrg applies an assumed role's allow-list to organizations:Op,
// under s.mu.
func (s *Server) authorizeOrg(caller principal, op string) *apiError {
	if caller.role == "" {
		return nil
	}
	role, ok := s.account(caller.account).roles[key(caller.role)]
	if !ok || len(role.Allow) == 0 {
		return nil
	}
	want := "organizations:" + op
	for _, a := range role.Allow {
		if matchAction(a, want) {
			return nil
		}
	}
	return errorf(http.StatusBadRequest, "AccessDenied", "User: %s is not authorized to perform: %s on resource: * because no identity-based policy allows the %s action", caller.arn(), want, want)
}

// callerOrg returns the organization the caller may read: its own, when the
// caller's account is the management account or a delegated administrator.
func (g *orgRegistry) callerOrg(caller principal) (*Organization, *orgError) {
	g.mu.Lock()
	o := g.byAcc[caller.account]
	g.mu.Unlock()
	if o == nil {
		return nil, orgErrorf("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	o.mu.Lock()
	allowed := caller.account == o.management || o.delegated[caller.account]
	o.mu.Unlock()
	if !allowed {
		return nil, orgErrorf("AccessDeniedException", "You don't have permissions to access this resource.")
	}
	return o, nil
}

func writeOrgError(w http.ResponseWriter, e *orgError) {
	body := map[string]string{"__type": e.code, "Message": e.msg}
	if e.reason != "" {
		body["Reason"] = e.reason
	}
	b, _ := json.Marshal(body)
	status := http.StatusBadRequest
	if e.code == "ServiceException" {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// str returns a string member of the request, "" when absent.
func (r *orgRequest) str(name string) (string, *orgError) {
	v, ok := r.body[name]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", orgErrorf("SerializationException", "%s must be a string", name)
	}
	return s, nil
}

func (r *orgRequest) required(name string) (string, *orgError) {
	s, err := r.str(name)
	if err == nil && s == "" {
		err = orgErrorf("ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
	}
	return s, err
}

// page applies MaxResults (1 to limit, default limit) and NextToken to n
// items.
func (r *orgRequest) page(n, limit int) (start, end int, next *string, e *orgError) {
	if v, ok := r.body["MaxResults"]; ok {
		var m int
		if err := json.Unmarshal(v, &m); err != nil {
			return 0, 0, nil, orgErrorf("SerializationException", "MaxResults must be a number")
		}
		if m < 1 {
			return 0, 0, nil, invalidOrgInput("MIN_VALUE_EXCEEDED", "You provided a value that is less than the minimum allowed.")
		}
		if m > limit {
			return 0, 0, nil, invalidOrgInput("MAX_VALUE_EXCEEDED", "You provided a value that exceeds the maximum allowed.")
		}
		limit = m
	}
	tok, e := r.str("NextToken")
	if e != nil {
		return 0, 0, nil, e
	}
	if tok != "" {
		off, ok := decodeOrgToken(r.op, tok)
		if !ok || off > n {
			return 0, 0, nil, invalidOrgInput("INVALID_NEXT_TOKEN", "The NextToken value is not valid.")
		}
		start = off
	}
	end = min(start+limit, n)
	if end < n {
		t := base64.RawURLEncoding.EncodeToString([]byte(markerPrefix + r.op + ":" + strconv.Itoa(end)))
		next = &t
	}
	return start, end, next, nil
}

func decodeOrgToken(op, tok string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := bytes.CutPrefix(raw, []byte(markerPrefix+op+":"))
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(string(rest))
	return n, err == nil && n >= 0
}

// Wire shapes of the operations' outputs (member names as in the service
// model; timestamps as epoch seconds).

type orgAccountJSON struct {
	ID              string  `json:"Id"`
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status"`
	State           string  `json:"State"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
}

type tokenJSON struct {
	NextToken *string `json:"NextToken,omitempty"`
}

func listOrgAccounts(o *Organization, r *orgRequest) (any, *orgError) {
	start, end, next, err := r.page(len(o.accounts), 20)
	if err != nil {
		return nil, err
	}
	out := struct {
		Accounts []orgAccountJSON `json:"Accounts"`
		tokenJSON
	}{Accounts: []orgAccountJSON{}, tokenJSON: tokenJSON{next}}
	for _, m := range o.accounts[start:end] {
		out.Accounts = append(out.Accounts, orgAccountJSON{
			ID: m.ID, Arn: o.accountARN(m.ID), Email: m.Email, Name: m.Name,
			Status: legacyStatus(m.State), State: m.State, JoinedMethod: m.method,
			JoinedTimestamp: float64(m.Joined.UnixMilli()) / 1000,
		})
	}
	return out, nil
}

type parentJSON struct {
	ID   string `json:"Id"`
	Type string `json:"Type"`
}

func listParents(o *Organization, r *orgRequest) (any, *orgError) {
	child, err := r.required("ChildId")
	if err != nil {
		return nil, err
	}
	var parent string
	if m := o.member(child); m != nil {
		parent = m.parent
	} else if ou, ok := o.ous[child]; ok {
		parent = ou.parent
	} else {
		return nil, orgErrorf("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
	}
	start, end, next, err := r.page(1, 20)
	if err != nil {
		return nil, err
	}
	typ := "ORGANIZATIONAL_UNIT"
	if parent == o.rootID {
		typ = "ROOT"
	}
	parents := []parentJSON{{ID: parent, Type: typ}}[start:end]
	return struct {
		Parents []parentJSON `json:"Parents"`
		tokenJSON
	}{parents, tokenJSON{next}}, nil
}

func describeOU(o *Organization, r *orgRequest) (any, *orgError) {
	id, err := r.required("OrganizationalUnitId")
	if err != nil {
		return nil, err
	}
	ou, ok := o.ous[id]
	if !ok {
		return nil, orgErrorf("OrganizationalUnitNotFoundException", "We can't find an organizational unit (OU) with the OrganizationalUnitId that you specified.")
	}
	type ouJSON struct {
		ID   string `json:"Id"`
		Arn  string `json:"Arn"`
		Name string `json:"Name"`
	}
	return struct {
		OrganizationalUnit ouJSON `json:"OrganizationalUnit"`
	}{ouJSON{ID: ou.id, Arn: o.ouARN(ou.id), Name: ou.name}}, nil
}

type tagJSON struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func listOrgTags(o *Organization, r *orgRequest) (any, *orgError) {
	id, err := r.required("ResourceId")
	if err != nil {
		return nil, err
	}
	if o.member(id) == nil && o.ous[id] == nil && id != o.rootID {
		return nil, orgErrorf("TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.")
	}
	keys := make([]string, 0, len(o.tags[id]))
	for k := range o.tags[id] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// The operation takes no MaxResults; pages of 20 make NextToken visible.
	start, end, next, err := r.page(len(keys), 20)
	if err != nil {
		return nil, err
	}
	out := struct {
		Tags []tagJSON `json:"Tags"`
		tokenJSON
	}{Tags: []tagJSON{}, tokenJSON: tokenJSON{next}}
	for _, k := range keys[start:end] {
		out.Tags = append(out.Tags, tagJSON{Key: k, Value: o.tags[id][k]})
	}
	return out, nil
}
