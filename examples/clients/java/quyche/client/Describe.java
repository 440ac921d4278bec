package quyche.client;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints the JSON shape of every record of {@link Models} as the client reads and writes it:
 * {@code {"CaseOut": {"opened_on": "date", "history": "list<ref:HistoryOut>", ...}, ...}}.
 * The drift test compares this with the OpenAPI document's components of the same names.
 */
public final class Describe {
    private Describe() {}

    public static void main(String[] args) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Class<?> c : Models.class.getDeclaredClasses()) {
            if (!c.isRecord()) {
                continue;
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            for (RecordComponent rc : c.getRecordComponents()) {
                fields.put(Json.snake(rc.getName()), kind(rc.getGenericType()));
            }
            out.put(c.getSimpleName(), fields);
        }
        System.out.println(Json.write(out));
    }

    static String kind(Type t) {
        if (t instanceof ParameterizedType pt) {
            Type[] a = pt.getActualTypeArguments();
            if (List.class.isAssignableFrom((Class<?>) pt.getRawType())) {
                return "list<" + kind(a[0]) + ">";
            }
            return "map<" + kind(a[1]) + ">";
        }
        Class<?> c = (Class<?>) t;
        if (c == String.class) {
            return "string";
        }
        if (c == LocalDate.class) {
            return "date";
        }
        if (c == OffsetDateTime.class) {
            return "date-time";
        }
        if (c == Long.class || c == Integer.class) {
            return "integer";
        }
        if (c == Double.class) {
            return "number";
        }
        if (c == Boolean.class) {
            return "boolean";
        }
        if (c == Object.class) {
            return "any";
        }
        if (c.isRecord()) {
            return "ref:" + c.getSimpleName();
        }
        return "unsupported:" + c.getName();
    }
}
