package quyche.client;

import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON this client needs, with nothing but the JDK: a strict reader (RFC 8259) into
 * {@code Map}/{@code List}/{@code String}/{@code Long}/{@code Double}/{@code Boolean}/null,
 * a writer, and the binding of both to the records of {@link Models}.
 *
 * <p>Records bind by name: a component {@code decisionId} is the JSON member
 * {@code decision_id} (camelCase to snake_case, the one rule the spec's names follow).
 * Members the record does not know are ignored, so a server that adds fields (public names
 * are only ever added) never breaks an older client; a member the record needs but the
 * answer lacks is null.
 */
public final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    /** Parse one JSON text; throws {@link IllegalArgumentException} naming the offset. */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != text.length()) {
            throw p.error("trailing characters");
        }
        return v;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("JSON: " + what + " at character " + i);
    }

    private void ws() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
    }

    private Object value() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                return number();
        }
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) {
            throw error("unexpected character");
        }
        i += word.length();
        return v;
    }

    private Map<String, Object> object() {
        Map<String, Object> out = new LinkedHashMap<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            return out;
        }
        while (true) {
            ws();
            if (i >= s.length() || s.charAt(i) != '"') {
                throw error("expected a member name");
            }
            String k = string();
            ws();
            expect(':');
            ws();
            out.put(k, value());
            ws();
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
                continue;
            }
            expect('}');
            return out;
        }
    }

    private List<Object> array() {
        List<Object> out = new ArrayList<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == ']') {
            i++;
            return out;
        }
        while (true) {
            ws();
            out.add(value());
            ws();
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
                continue;
            }
            expect(']');
            return out;
        }
    }

    private void expect(char c) {
        if (i >= s.length() || s.charAt(i) != c) {
            throw error("expected '" + c + "'");
        }
        i++;
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        i++;
        while (true) {
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw error("control character in a string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) {
                throw error("unterminated escape");
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw error("short \\u escape");
                    }
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> throw error("bad escape");
            }
        }
    }

    private Object number() {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        String n = s.substring(start, i);
        if (n.isEmpty()) {
            throw error("unexpected character");
        }
        try {
            if (n.contains(".") || n.contains("e") || n.contains("E")) {
                return Double.valueOf(n);
            }
            return Long.valueOf(n);
        } catch (NumberFormatException ex) {
            throw error("bad number");
        }
    }

    // --- writing ---------------------------------------------------------------------------

    /** JSON text of a value: records (null components left out), maps, lists, scalars. */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String || v instanceof LocalDate || v instanceof OffsetDateTime) {
            quote(b, v.toString());
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int k = 0; k < l.size(); k++) {
                if (k > 0) {
                    b.append(',');
                }
                write(b, l.get(k));
            }
            b.append(']');
        } else if (v.getClass().isRecord()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (RecordComponent rc : v.getClass().getRecordComponents()) {
                Object got = get(rc, v);
                if (got != null) {
                    m.put(snake(rc.getName()), got);
                }
            }
            write(b, m);
        } else {
            throw new IllegalArgumentException("JSON: cannot write " + v.getClass());
        }
    }

    private static void quote(StringBuilder b, String v) {
        b.append('"');
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    private static Object get(RecordComponent rc, Object v) {
        try {
            return rc.getAccessor().invoke(v);
        } catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }

    // --- binding ---------------------------------------------------------------------------

    /** The JSON member name of a record component: {@code asOf} is {@code as_of}. */
    public static String snake(String camel) {
        StringBuilder b = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                b.append('_').append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** A parsed JSON value as an instance of {@code type} (a record, list, map, scalar). */
    @SuppressWarnings("unchecked")
    public static <T> T bind(Object v, Class<T> type) {
        return (T) bind(v, (Type) type, type.getSimpleName());
    }

    private static Object bind(Object v, Type type, String where) {
        if (v == null) {
            return null;
        }
        if (type instanceof ParameterizedType pt) {
            Class<?> raw = (Class<?>) pt.getRawType();
            Type[] args = pt.getActualTypeArguments();
            if (List.class.isAssignableFrom(raw)) {
                List<Object> out = new ArrayList<>();
                int k = 0;
                List<?> items = as(v, List.class, where);
                for (Object item : items) {
                    out.add(bind(item, args[0], where + "/" + k++));
                }
                return java.util.Collections.unmodifiableList(out);
            }
            if (Map.class.isAssignableFrom(raw)) {
                Map<String, Object> out = new LinkedHashMap<>();
                Map<?, ?> members = as(v, Map.class, where);
                for (Map.Entry<?, ?> e : members.entrySet()) {
                    out.put((String) e.getKey(), bind(e.getValue(), args[1], where + "/" + e.getKey()));
                }
                return out;
            }
            throw new IllegalArgumentException("JSON: unsupported type " + type);
        }
        Class<?> c = (Class<?>) type;
        if (c == Object.class) {
            return v;
        }
        if (c == String.class) {
            return as(v, String.class, where);
        }
        if (c == LocalDate.class) {
            return LocalDate.parse(as(v, String.class, where));
        }
        if (c == OffsetDateTime.class) {
            return OffsetDateTime.parse(as(v, String.class, where));
        }
        if (c == Long.class || c == long.class) {
            return as(v, Long.class, where);
        }
        if (c == Integer.class || c == int.class) {
            return Math.toIntExact(as(v, Long.class, where));
        }
        if (c == Double.class || c == double.class) {
            return as(v, Number.class, where).doubleValue();
        }
        if (c == Boolean.class || c == boolean.class) {
            return as(v, Boolean.class, where);
        }
        if (c.isRecord()) {
            Map<?, ?> m = as(v, Map.class, where);
            RecordComponent[] rcs = c.getRecordComponents();
            Object[] values = new Object[rcs.length];
            Class<?>[] types = new Class<?>[rcs.length];
            for (int k = 0; k < rcs.length; k++) {
                String name = snake(rcs[k].getName());
                types[k] = rcs[k].getType();
                values[k] = bind(m.get(name), rcs[k].getGenericType(), where + "/" + name);
            }
            try {
                Constructor<?> ctor = c.getDeclaredConstructor(types);
                return ctor.newInstance(values);
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        }
        throw new IllegalArgumentException("JSON: unsupported type " + c);
    }

    private static <T> T as(Object v, Class<T> c, String where) {
        if (!c.isInstance(v)) {
            throw new IllegalArgumentException(
                    "JSON: " + where + " is " + v.getClass().getSimpleName() + ", expected "
                            + c.getSimpleName());
        }
        return c.cast(v);
    }
}
