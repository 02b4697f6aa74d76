package dev.runlane.localcloud.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SAM's Globals merge: maps merge key by key, lists concatenate (globals first), the resource's scalars win. */
final class Globals {
    private Globals() {}

    @SuppressWarnings("unchecked")
    static Object merge(Object global, Object local) {
        if (local == null) {
            return global;
        }
        if (global instanceof Map<?, ?> g && local instanceof Map<?, ?> l && !isIntrinsic(g) && !isIntrinsic(l)) {
            Map<String, Object> merged = new LinkedHashMap<>((Map<String, Object>) g);
            ((Map<String, Object>) l).forEach((key, value) -> merged.put(key, merge(merged.get(key), value)));
            return merged;
        }
        if (global instanceof List<?> g && local instanceof List<?> l) {
            List<Object> merged = new ArrayList<>(g);
            merged.addAll(l);
            return merged;
        }
        return local;
    }

    private static boolean isIntrinsic(Map<?, ?> map) {
        return map.size() == 1 && String.valueOf(map.keySet().iterator().next()).matches("Ref|Fn::.*");
    }
}
