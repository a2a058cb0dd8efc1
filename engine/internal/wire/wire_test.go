package wire

import (
	"reflect"
	"testing"
)

// Set copies a message field by field; a field added to Msg and not to
// Set would be left behind in a queue slot from the event before.
func TestMsgSetCopiesEveryField(t *testing.T) {
	var src Msg
	v := reflect.ValueOf(&src).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(uint64(i + 1))
		case reflect.Int64:
			f.SetInt(int64(i + 1))
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Interface:
			f.Set(reflect.ValueOf(&src))
		default:
			t.Fatalf("field %s of kind %v: teach this test to fill it", v.Type().Field(i).Name, f.Kind())
		}
		if f.IsZero() {
			t.Fatalf("field %s left zero", v.Type().Field(i).Name)
		}
	}
	var dst Msg
	dst.Set(&src)
	if dst != src {
		t.Fatalf("Set copied %+v, want %+v", dst, src)
	}
}
