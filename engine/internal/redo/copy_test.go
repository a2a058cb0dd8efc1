package redo

import (
	"reflect"
	"testing"
)

// Copy must copy every field: a field added to Record and left out of
// Copy would be lost from every batch and log. Each field is set to a
// value of its own, so a field Copy skips, or copies into another, shows.
func TestCopyIsAssignment(t *testing.T) {
	var r Record
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(uint64(i + 1))
		case reflect.Slice:
			f.SetBytes([]byte{byte(i + 1)})
		default:
			t.Fatalf("field %s is a %s: teach this test and Copy about it", v.Type().Field(i).Name, f.Kind())
		}
	}
	var d Record
	d.Copy(&r)
	if !reflect.DeepEqual(d, r) {
		t.Fatalf("Copy gave %+v, want %+v", d, r)
	}
	for i := range v.NumField() {
		if reflect.ValueOf(d).Field(i).IsZero() {
			t.Errorf("Copy left %s zero", v.Type().Field(i).Name)
		}
	}
}
