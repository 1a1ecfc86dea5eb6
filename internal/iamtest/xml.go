package iamtest

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"math/big"
	"strconv"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
	smithytime "github.com/aws/smithy-go/time"
	"github.com/aws/smithy-go/traits"
)

// xmlShapeSerializer writes SDK shapes as Query-protocol response XML, using
// the element names the SDK's schemas declare (member names, or @xmlName).
// Lists are wrapped in <member> elements unless the schema flattens them, and
// maps are written as <entry><key/><value/></entry>, as IAM and STS do.
type xmlShapeSerializer struct {
	buf   bytes.Buffer
	stack []xmlFrame
}

type xmlFrameKind int

const (
	frameStruct xmlFrameKind = iota
	frameList
	frameMap
	frameUnion
)

type xmlFrame struct {
	kind    xmlFrameKind
	schema  *smithy.Schema
	name    string // element to close (empty for flattened collections)
	item    string // element name of list items and map entries
	inEntry bool
}

var _ smithy.ShapeSerializer = (*xmlShapeSerializer)(nil)

func (s *xmlShapeSerializer) top() *xmlFrame {
	if len(s.stack) == 0 {
		return nil
	}
	return &s.stack[len(s.stack)-1]
}

func ename(schema *smithy.Schema) string {
	if t, ok := smithy.SchemaDirectTrait[*traits.XMLName](schema); ok {
		return t.Name
	}
	return schema.MemberName()
}

func (s *xmlShapeSerializer) ctxName(schema *smithy.Schema) string {
	if top := s.top(); top != nil {
		switch top.kind {
		case frameList:
			return top.item
		case frameMap:
			if top.inEntry {
				return ename(top.schema.MapValue())
			}
		case frameStruct, frameUnion:
		}
	}
	return ename(schema)
}

func (s *xmlShapeSerializer) start(name string) {
	s.buf.WriteByte('<')
	s.buf.WriteString(name)
	s.buf.WriteByte('>')
}

func (s *xmlShapeSerializer) end(name string) {
	s.buf.WriteString("</")
	s.buf.WriteString(name)
	s.buf.WriteByte('>')
}

func (s *xmlShapeSerializer) scalar(schema *smithy.Schema, v string) {
	name := s.ctxName(schema)
	s.start(name)
	_ = xml.EscapeText(&s.buf, []byte(v))
	s.end(name)
}

// Bytes implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) Bytes() []byte { return s.buf.Bytes() }

// WriteInt8 implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteInt8(sc *smithy.Schema, v int8) {
	s.scalar(sc, strconv.FormatInt(int64(v), 10))
}

// WriteInt16 implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteInt16(sc *smithy.Schema, v int16) {
	s.scalar(sc, strconv.FormatInt(int64(v), 10))
}

// WriteInt32 implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteInt32(sc *smithy.Schema, v int32) {
	s.scalar(sc, strconv.FormatInt(int64(v), 10))
}

// WriteInt64 implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteInt64(sc *smithy.Schema, v int64) {
	s.scalar(sc, strconv.FormatInt(v, 10))
}

// WriteFloat32 implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteFloat32(sc *smithy.Schema, v float32) {
	s.scalar(sc, strconv.FormatFloat(float64(v), 'g', -1, 32))
}

// WriteFloat64 implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteFloat64(sc *smithy.Schema, v float64) {
	s.scalar(sc, strconv.FormatFloat(v, 'g', -1, 64))
}

// WriteBool implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteBool(sc *smithy.Schema, v bool) {
	s.scalar(sc, strconv.FormatBool(v))
}

// WriteString implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteString(sc *smithy.Schema, v string) { s.scalar(sc, v) }

// WriteBigInt implements [smithy.ShapeSerializer]; IAM has no such shapes.
func (s *xmlShapeSerializer) WriteBigInt(sc *smithy.Schema, v *big.Int) {
	s.scalar(sc, v.String())
}

// WriteBigFloat implements [smithy.ShapeSerializer]; IAM has no such shapes.
func (s *xmlShapeSerializer) WriteBigFloat(sc *smithy.Schema, v *big.Float) {
	s.scalar(sc, v.String())
}

// WriteBlob implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteBlob(sc *smithy.Schema, v []byte) {
	if v == nil {
		return
	}
	s.scalar(sc, base64.StdEncoding.EncodeToString(v))
}

// WriteTime implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteTime(sc *smithy.Schema, v time.Time) {
	format := "date-time"
	if t, ok := smithy.SchemaTrait[*traits.TimestampFormat](sc); ok {
		format = t.Format
	}
	switch format {
	case "http-date":
		s.scalar(sc, smithytime.FormatHTTPDate(v))
	case "epoch-seconds":
		s.scalar(sc, strconv.FormatFloat(smithytime.FormatEpochSeconds(v), 'f', -1, 64))
	default:
		s.scalar(sc, smithytime.FormatDateTime(v))
	}
}

// WriteUnion implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteUnion(schema, _ *smithy.Schema) {
	name := s.ctxName(schema)
	s.start(name)
	s.stack = append(s.stack, xmlFrame{kind: frameUnion, schema: schema, name: name})
}

// CloseUnion implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) CloseUnion() { s.pop() }

// WriteDocument implements [smithy.ShapeSerializer]; XML has no documents.
func (s *xmlShapeSerializer) WriteDocument(*smithy.Schema, document.Value) {}

// WriteNil implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteNil(*smithy.Schema) {}

// WriteStruct implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteStruct(schema *smithy.Schema) {
	name := s.ctxName(schema)
	s.start(name)
	s.stack = append(s.stack, xmlFrame{kind: frameStruct, schema: schema, name: name})
}

// CloseStruct implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) CloseStruct() { s.pop() }

// WriteList implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteList(schema *smithy.Schema) {
	name := s.ctxName(schema)
	f := xmlFrame{kind: frameList, schema: schema}
	if _, flat := smithy.SchemaTrait[*traits.XMLFlattened](schema); flat {
		f.item = name
	} else {
		s.start(name)
		f.name = name
		f.item = ename(schema.ListMember())
	}
	s.stack = append(s.stack, f)
}

// CloseList implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) CloseList() { s.pop() }

// WriteMap implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteMap(schema *smithy.Schema) {
	name := s.ctxName(schema)
	f := xmlFrame{kind: frameMap, schema: schema, item: "entry"}
	if _, flat := smithy.SchemaTrait[*traits.XMLFlattened](schema); flat {
		f.item = name
	} else {
		s.start(name)
		f.name = name
	}
	s.stack = append(s.stack, f)
}

// WriteKey implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) WriteKey(schema *smithy.Schema, k string) {
	top := s.top()
	if top == nil || top.kind != frameMap {
		return
	}
	if top.inEntry {
		s.end(top.item)
	}
	s.start(top.item)
	key := ename(schema)
	s.start(key)
	_ = xml.EscapeText(&s.buf, []byte(k))
	s.end(key)
	top.inEntry = true
}

// CloseMap implements [smithy.ShapeSerializer].
func (s *xmlShapeSerializer) CloseMap() {
	if top := s.top(); top != nil && top.inEntry {
		s.end(top.item)
	}
	s.pop()
}

func (s *xmlShapeSerializer) pop() {
	f := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	if f.name != "" {
		s.end(f.name)
	}
}
