package iamtest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Secrets Manager's staging labels that move on their own.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// smTargetPrefix starts the X-Amz-Target header of every Secrets Manager
// request in the JSON 1.1 protocol ("secretsmanager.CreateSecret").
const smTargetPrefix = "secretsmanager."

// Secret is one Secrets Manager secret: the seeding input of
// [Server.PutSecret] (zero ARN and dates are filled in) and the read-back
// form of [Server.Secret].
type Secret struct {
	Name        string
	ARN         string // arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random>
	Description string
	Tags        []Tag
	CreatedDate time.Time
	// LastChangedDate is when the secret's value, tags or description last
	// changed.
	LastChangedDate time.Time
	// Versions are in creation order.
	Versions []SecretVersion
}

// SecretVersion is one version of a secret's value.
type SecretVersion struct {
	// ID is the ClientRequestToken that created the version.
	ID          string
	String      string
	Stages      []string
	CreatedDate time.Time
}

// secretsState is the Secrets Manager side of the fake: secrets per account
// and region, behind a lock of their own.
type secretsState struct {
	mu      sync.Mutex
	secrets map[string]*Secret // account/region/name → secret
}

func secretKey(account, region, name string) string {
	return account + "/" + region + "/" + name
}

// clone returns a deep copy.
func (sec *Secret) clone() Secret {
	c := *sec
	c.Tags = slices.Clone(sec.Tags)
	c.Versions = make([]SecretVersion, len(sec.Versions))
	for i, v := range sec.Versions {
		v.Stages = slices.Clone(v.Stages)
		c.Versions[i] = v
	}
	return c
}

// Secret returns a deep copy of the named secret in an account and region.
func (s *Server) Secret(account, region, name string) (Secret, bool) {
	s.sm.mu.Lock()
	defer s.sm.mu.Unlock()
	sec, ok := s.sm.secrets[secretKey(account, region, name)]
	if !ok {
		return Secret{}, false
	}
	return sec.clone(), true
}

// PutSecret seeds a secret in an account and region, replacing one of the
// same name, and returns it as stored. Versions without an ID or date get
// one; a seeded secret is how tests set up secrets roster did not create.
func (s *Server) PutSecret(account, region string, sec Secret) Secret {
	s.Account(account)
	now := s.nowLocked()
	s.sm.mu.Lock()
	defer s.sm.mu.Unlock()
	c := sec.clone()
	if c.ARN == "" {
		c.ARN = s.secretARN(account, region, c.Name)
	}
	if c.CreatedDate.IsZero() {
		c.CreatedDate = now
	}
	if c.LastChangedDate.IsZero() {
		c.LastChangedDate = c.CreatedDate
	}
	for i := range c.Versions {
		if c.Versions[i].ID == "" {
			c.Versions[i].ID = s.newRequestToken()
		}
		if c.Versions[i].CreatedDate.IsZero() {
			c.Versions[i].CreatedDate = c.CreatedDate
		}
	}
	if s.sm.secrets == nil {
		s.sm.secrets = map[string]*Secret{}
	}
	s.sm.secrets[secretKey(account, region, c.Name)] = &c
	return c.clone()
}

// nowLocked reads the server's clock under its lock.
func (s *Server) nowLocked() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

const secretSuffixAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// secretARN builds a secret's ARN with Secrets Manager's six random
// characters after the name (deterministic here).
func (s *Server) secretARN(account, region, name string) string {
	s.mu.Lock()
	s.seq++
	n := s.seq*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	s.mu.Unlock()
	suffix := make([]byte, 6)
	for i := range suffix {
		suffix[i] = secretSuffixAlphabet[n%uint64(len(secretSuffixAlphabet))]
		n /= uint64(len(secretSuffixAlphabet))
	}
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", region, account, name, suffix)
}

// newRequestToken is a version ID for a request that carried no
// ClientRequestToken (the SDK always sends one).
func (s *Server) newRequestToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	n := s.seq * 0x9E3779B97F4A7C15
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(n>>32), uint16(n>>16), uint16(n)&0xfff, uint16(s.seq)&0xfff, s.seq)
}

// smRequest is one Secrets Manager call, decoded.
type smRequest struct {
	srv     *Server
	op      string
	account string
	region  string
	body    smInput
	now     time.Time
}

// smInput holds the members of every input this fake serves; each
// operation reads its own.
type smInput struct {
	Name               string
	SecretID           string `json:"SecretId"`
	Description        string
	ClientRequestToken *string
	SecretString       *string
	SecretBinary       *string
	Tags               []smTag
	VersionStages      []string
	VersionID          string `json:"VersionId"`
	VersionStage       string
}

type smTag struct {
	Key   string
	Value string
}

type smHandler func(st *secretsState, r *smRequest) (any, *apiError)

var smHandlers = map[string]smHandler{
	"CreateSecret":   createSecret,
	"PutSecretValue": putSecretValue,
	"DescribeSecret": describeSecret,
	"GetSecretValue": getSecretValue,
	"TagResource":    tagResource,
}

// smWriteActions are the Secrets Manager operations that change state.
var smWriteActions = map[string]bool{"CreateSecret": true, "PutSecretValue": true, "TagResource": true}

// smError is a Secrets Manager error: every modeled error answers 400,
// except InternalServiceError (500).
func smError(code, format string, args ...any) *apiError {
	status := http.StatusBadRequest
	if code == "InternalServiceError" {
		status = http.StatusInternalServerError
	}
	return errorf(status, code, format, args...)
}

func smNotFound() *apiError {
	return smError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

var regionPattern = regexp.MustCompile(`Credential=[^/,\s]+/[0-9]{8}/([a-z0-9-]+)/`)

// serveSecretsManager answers one JSON 1.1 request whose X-Amz-Target names
// a Secrets Manager operation, with the IAM side's authentication, call
// counting, write recording, latency and faults.
func (s *Server) serveSecretsManager(w http.ResponseWriter, hr *http.Request) {
	op := strings.TrimPrefix(hr.Header.Get("X-Amz-Target"), smTargetPrefix)
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in smInput
	if hr.Method != http.MethodPost || json.Unmarshal(body, &in) != nil {
		writeSMError(w, smError("SerializationException", "Start of structure or map found where not expected."), "")
		return
	}
	adm, aerr := s.admitSecretsManager(op, hr, in)
	if aerr != nil {
		writeSMError(w, aerr, adm.reqID)
		return
	}
	if !s.waitLatency(hr, adm) {
		return
	}
	if s.smFault(w, op, adm, in) {
		return
	}
	out, aerr := s.handleSecretsManager(op, adm, in)
	if aerr != nil {
		s.recordSMWrite(adm.writeIndex, aerr.code)
		writeSMError(w, aerr, adm.reqID)
		return
	}
	writeSMResult(w, out, adm.reqID)
}

// admission is what the server decided about a request before handling it.
type admission struct {
	reqID      string
	caller     principal
	region     string
	latency    time.Duration
	fault      faultKind
	scripted   string
	writeIndex int
	dropCommit bool
}

// admitSecretsManager authenticates a Secrets Manager request, counts it,
// records it when it writes, and rolls its fault, under the server lock.
func (s *Server) admitSecretsManager(op string, hr *http.Request, in smInput) (admission, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	adm := admission{reqID: s.requestID(), writeIndex: -1}
	caller, aerr := s.caller(hr)
	if aerr != nil {
		if aerr.code == "InvalidClientTokenId" {
			aerr = smError("UnrecognizedClientException", "The security token included in the request is invalid.")
		}
		return adm, aerr
	}
	adm.caller = caller
	adm.region = "us-east-1"
	if m := regionPattern.FindStringSubmatch(hr.Header.Get("Authorization")); m != nil {
		adm.region = m[1]
	}
	if s.calls[caller.account] == nil {
		s.calls[caller.account] = map[string]int{}
	}
	s.calls[caller.account][op]++
	adm.latency = s.latency
	adm.fault = s.rollFault(op)
	write := smWriteActions[op]
	if f := s.faults.WriteRate; f > 0 && write {
		b := s.buckets[caller.account]
		if b == nil {
			b = &bucket{}
			s.buckets[caller.account] = b
		}
		if !b.take(s.clock(), f) {
			adm.fault = faultThrottle
		}
	}
	adm.dropCommit = s.faults.DropAfterCommit && write
	adm.scripted = s.takeScripted(op, nil)
	if write {
		s.writes = append(s.writes, Call{Account: caller.account, Action: op, Params: in.params()})
		adm.writeIndex = len(s.writes) - 1
	}
	return adm, nil
}

// params are a write's recorded parameters. The secret's value is left out:
// [Server.Secret] shows what was stored.
func (in smInput) params() map[string]string {
	p := map[string]string{}
	for k, v := range map[string]string{"Name": in.Name, "SecretId": in.SecretID, "Description": in.Description} {
		if v != "" {
			p[k] = v
		}
	}
	if in.ClientRequestToken != nil {
		p["ClientRequestToken"] = *in.ClientRequestToken
	}
	for i, t := range in.Tags {
		p["Tags."+strconv.Itoa(i+1)+".Key"] = t.Key
		p["Tags."+strconv.Itoa(i+1)+".Value"] = t.Value
	}
	if len(in.VersionStages) > 0 {
		p["VersionStages"] = strings.Join(in.VersionStages, ",")
	}
	return p
}

// recordSMWrite records the error code a recorded write was answered with.
func (s *Server) recordSMWrite(i int, code string) {
	if i < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < len(s.writes) {
		s.writes[i].Error = code
	}
}

// waitLatency waits the injected latency; false when the caller gave up.
func (s *Server) waitLatency(hr *http.Request, adm admission) bool {
	if adm.latency <= 0 {
		return true
	}
	t := time.NewTimer(adm.latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-hr.Context().Done():
		s.recordSMWrite(adm.writeIndex, "Canceled")
		return false
	}
}

// smFault answers a scripted or injected fault; false when there is none.
// A dropped write with Faults.DropAfterCommit, or scripted
// "DroppedAfterCommit", is applied before its connection is closed.
func (s *Server) smFault(w http.ResponseWriter, op string, adm admission, in smInput) bool {
	switch {
	case adm.scripted == droppedAfterCommit:
		_, _ = s.handleSecretsManager(op, adm, in)
		s.recordSMWrite(adm.writeIndex, "Dropped")
		drop(w)
		return true
	case adm.scripted == "Dropped":
		s.recordSMWrite(adm.writeIndex, adm.scripted)
		drop(w)
		return true
	case adm.scripted != "":
		s.recordSMWrite(adm.writeIndex, adm.scripted)
		writeSMError(w, smError(adm.scripted, "Injected %s for %s.", adm.scripted, op), adm.reqID)
		return true
	}
	switch adm.fault {
	case faultThrottle:
		s.recordSMWrite(adm.writeIndex, "ThrottlingException")
		writeSMError(w, smError("ThrottlingException", "Rate exceeded"), adm.reqID)
		return true
	case faultServerError:
		s.recordSMWrite(adm.writeIndex, "InternalServiceError")
		writeSMError(w, smError("InternalServiceError", "An error occurred on the server side."), adm.reqID)
		return true
	case faultDrop:
		if adm.dropCommit {
			_, _ = s.handleSecretsManager(op, adm, in)
		}
		s.recordSMWrite(adm.writeIndex, "Dropped")
		drop(w)
		return true
	case faultNone:
	}
	return false
}

// handleSecretsManager runs one operation against the secrets.
func (s *Server) handleSecretsManager(op string, adm admission, in smInput) (any, *apiError) {
	h, ok := smHandlers[op]
	if !ok {
		return nil, smError("UnknownOperationException", "")
	}
	if aerr := s.authorizeSecretsManager(op, adm, in); aerr != nil {
		return nil, aerr
	}
	r := &smRequest{srv: s, op: op, account: adm.caller.account, region: adm.region, body: in, now: s.nowLocked()}
	s.sm.mu.Lock()
	defer s.sm.mu.Unlock()
	if s.sm.secrets == nil {
		s.sm.secrets = map[string]*Secret{}
	}
	return h(&s.sm, r)
}

// authorizeSecretsManager enforces an assumed role's allow-list with
// "secretsmanager:<Operation>" (and TagResource for CreateSecret with
// tags, as AWS requires), answering AccessDeniedException with AWS's
// message.
func (s *Server) authorizeSecretsManager(op string, adm admission, in smInput) *apiError {
	if adm.caller.role == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	role, ok := s.account(adm.caller.account).roles[key(adm.caller.role)]
	if !ok || len(role.Allow) == 0 {
		return nil
	}
	needed := []string{"secretsmanager:" + op}
	if op == "CreateSecret" && len(in.Tags) > 0 {
		// Tagging a secret as it is created needs TagResource too.
		needed = append(needed, "secretsmanager:TagResource")
	}
	for _, want := range needed {
		if !slices.ContainsFunc(role.Allow, func(a string) bool { return matchAction(a, want) }) {
			return smDenied(adm.caller, want, cmp.Or(in.SecretID, in.Name))
		}
	}
	return nil
}

// smDenied is Secrets Manager's answer to a call the caller's policies do
// not allow.
func smDenied(caller principal, want, resource string) *apiError {
	return smError("AccessDeniedException", "User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
		caller.arn(), want, resource, want)
}

func writeSMResult(w http.ResponseWriter, out any, reqID string) {
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func writeSMError(w http.ResponseWriter, e *apiError, reqID string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	_ = enc.Encode(map[string]string{"__type": e.code, "Message": e.msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.status)
	_, _ = w.Write(b.Bytes())
}
