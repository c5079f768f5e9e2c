package tracelens.model.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;

/**
 * Reads the {@code data.pkl} of a PyTorch checkpoint with the semantics of {@code torch.load(weights_only=True)}
 * (torch/_weights_only_unpickler.py): only the pickle operations that rebuild containers and tensors run, only the
 * globals that name a container, a storage type or a tensor-rebuilding function are looked up, and the only
 * persistent ids are storages. Anything else (a call to os.system, an arbitrary class, a GLOBAL of any other name) is
 * refused before it is evaluated, naming the file and the operation. Nothing is ever executed: every allowed global
 * maps to a Java rebuild of its result.
 *
 * <p>The result is the state dict as tensor references (storage key, dtype, offset, sizes, strides); the bytes stay in
 * the archive's {@code data/<key>} entries.
 */
public final class WeightsOnlyUnpickler {
    /** A storage of the archive: entry {@code data/<key>}, elements of {@code dtype}. */
    public record Storage(String key, DType dtype, long numel) {}

    /** A tensor: a strided view of a storage (offset and strides in elements). */
    public record TensorRef(Storage storage, long offset, long[] size, long[] stride) {
        public long numel() {
            long n = 1;
            for (long s : size) {
                n *= s;
            }
            return n;
        }

        /** Whether the view is the row-major layout of its sizes (so its bytes are one contiguous run). */
        public boolean contiguous() {
            long expect = 1;
            for (int d = size.length - 1; d >= 0; d--) {
                if (size[d] != 1 && stride[d] != expect) {
                    return false;
                }
                expect *= size[d];
            }
            return true;
        }
    }

    /** A Python tuple (distinct from a list, as pickle keeps them). */
    record Tuple(List<Object> items) {}

    /** An allowed global, by its dotted name. */
    record Global(String name) {}

    private static final Map<String, DType> STORAGES = Map.ofEntries(
            Map.entry("torch.FloatStorage", DType.F32), Map.entry("torch.HalfStorage", DType.F16),
            Map.entry("torch.BFloat16Storage", DType.BF16), Map.entry("torch.DoubleStorage", DType.F64),
            Map.entry("torch.LongStorage", DType.I64), Map.entry("torch.IntStorage", DType.I32),
            Map.entry("torch.ShortStorage", DType.I16), Map.entry("torch.CharStorage", DType.I8),
            Map.entry("torch.ByteStorage", DType.U8), Map.entry("torch.BoolStorage", DType.BOOL));

    /** Globals a weights-only load may name: containers, storage types and tensor rebuilds (torch's allowlist). */
    private static final Set<String> ALLOWED = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter", "torch.nn.parameter.Parameter", "torch.Size",
            "torch._utils._rebuild_parameter_with_state");

    private final ByteBuffer in;
    private final String where;
    private final Map<Integer, Object> memo = new HashMap<>();
    private List<Object> stack = new ArrayList<>();
    private final List<List<Object>> marks = new ArrayList<>();

    private WeightsOnlyUnpickler(ByteBuffer pickle, String where) {
        this.in = pickle.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.where = where;
    }

    /** The state dict in {@code pickle}: tensor name to tensor, in file order. {@code where} names the file for errors. */
    public static Map<String, TensorRef> stateDict(ByteBuffer pickle, String where) {
        Object root = new WeightsOnlyUnpickler(pickle, where).load();
        if (!(root instanceof Map<?, ?> map)) {
            throw new InvalidInputException(where + ": holds a " + typeName(root) + ", not a state dict (a mapping of names to tensors)");
        }
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw new InvalidInputException(where + ": a state dict key is a " + typeName(e.getKey()) + ", not a name");
            }
            if (e.getValue() instanceof TensorRef t) {
                out.put(name, t);
            } else if (e.getValue() instanceof Map<?, ?> nested && name.equals("state_dict")) {
                return stateDict(nested, where); // {"state_dict": {...}} as training scripts save it
            } else if (e.getValue() != null && !(e.getValue() instanceof Long || e.getValue() instanceof Double
                    || e.getValue() instanceof String || e.getValue() instanceof Boolean)) {
                throw new InvalidInputException(where + ": entry '" + name + "' is a " + typeName(e.getValue()) + ", not a tensor");
            }
        }
        return out;
    }

    private static Map<String, TensorRef> stateDict(Map<?, ?> map, String where) {
        Map<String, TensorRef> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (k instanceof String name && v instanceof TensorRef t) {
                out.put(name, t);
            }
        });
        return out;
    }

    private Object load() {
        while (true) {
            if (!in.hasRemaining()) {
                throw refuse("ends before its STOP opcode (truncated)");
            }
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> in.get(); // PROTO
                case 0x95 -> in.getLong(); // FRAME (protocol 4): framing only
                case '.' -> { // STOP
                    return pop();
                }
                case '(' -> { // MARK
                    marks.add(stack);
                    stack = new ArrayList<>();
                }
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
                case 't' -> push(new Tuple(popMark())); // TUPLE
                case 0x85 -> push(new Tuple(List.of(pop()))); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop();
                    Object a = pop();
                    push(new Tuple(List.of(nullable(a), nullable(b))));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    push(new Tuple(List.of(nullable(a), nullable(b), nullable(c))));
                }
                case 'N' -> push(null); // NONE
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'J' -> push((long) in.getInt()); // BININT
                case 'K' -> push((long) (in.get() & 0xff)); // BININT1
                case 'M' -> push((long) (in.getShort() & 0xffff)); // BININT2
                case 0x8a -> push(long1()); // LONG1
                case 'G' -> push(ByteBuffer.wrap(bytes(8)).getDouble()); // BINFLOAT (big-endian)
                case 'X' -> push(new String(bytes(in.getInt()), StandardCharsets.UTF_8)); // BINUNICODE
                case 0x8c -> push(new String(bytes(in.get() & 0xff), StandardCharsets.UTF_8)); // SHORT_BINUNICODE
                case 'U' -> push(new String(bytes(in.get() & 0xff), StandardCharsets.ISO_8859_1)); // SHORT_BINSTRING
                case 'q' -> memo.put(in.get() & 0xff, peek()); // BINPUT
                case 'r' -> memo.put(in.getInt(), peek()); // LONG_BINPUT
                case 0x94 -> memo.put(memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(in.get() & 0xff)); // BINGET
                case 'j' -> push(memoGet(in.getInt())); // LONG_BINGET
                case 'c' -> push(global(line() + "." + line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    push(global(module + "." + name));
                }
                case 'Q' -> push(persistent(pop())); // BINPERSID
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object f = pop();
                    push(reduce(f, args));
                }
                case 0x81 -> { // NEWOBJ: only Parameter(data, ...) -> its data
                    Object args = pop();
                    Object cls = pop();
                    if (!(cls instanceof Global g) || !g.name().equals("torch.nn.parameter.Parameter")) {
                        throw refuse("asks to instantiate " + describe(cls) + ", which a weights-only load refuses");
                    }
                    push(((Tuple) args).items().get(0));
                }
                case 'b' -> { // BUILD: a dict's attributes (e.g. _metadata) are dropped; nothing else may be built
                    pop();
                    Object inst = peek();
                    if (!(inst instanceof Map) && !(inst instanceof TensorRef)) {
                        throw refuse("asks to set the state of a " + typeName(inst) + ", which a weights-only load refuses");
                    }
                }
                case 's' -> { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    dict(peek()).put(k, v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    Map<Object, Object> d = dict(peek());
                    for (int i = 0; i + 1 < items.size(); i += 2) {
                        d.put(items.get(i), items.get(i + 1));
                    }
                }
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                default -> throw refuse(String.format("uses pickle opcode 0x%02x ('%s'), which a weights-only load refuses", op,
                        op >= 32 && op < 127 ? String.valueOf((char) op) : "?"));
            }
        }
    }

    private Object global(String name) {
        if (ALLOWED.contains(name) || STORAGES.containsKey(name)) {
            return new Global(name);
        }
        throw refuse("names the global '" + name + "', which a weights-only load refuses (only containers, storage types"
                + " and tensor-rebuilding functions are allowed, as torch.load(weights_only=True))");
    }

    private Object persistent(Object pid) {
        if (!(pid instanceof Tuple t) || t.items().size() < 5 || !"storage".equals(t.items().get(0))) {
            throw refuse("has a persistent id " + describe(pid) + "; only ('storage', type, key, location, numel) is allowed");
        }
        if (!(t.items().get(1) instanceof Global g) || !STORAGES.containsKey(g.name())) {
            throw refuse("has a storage of type " + describe(t.items().get(1)));
        }
        if (!(t.items().get(2) instanceof String key) || !(t.items().get(4) instanceof Long numel)) {
            throw refuse("has a malformed storage id " + describe(pid));
        }
        return new Storage(key, STORAGES.get(g.name()), numel);
    }

    private Object reduce(Object f, Object argsObj) {
        if (!(f instanceof Global g)) {
            throw refuse("calls " + describe(f) + ", which a weights-only load refuses");
        }
        if (!(argsObj instanceof Tuple argsTuple)) {
            throw refuse("calls " + g.name() + " with arguments that are not a tuple");
        }
        List<Object> a = argsTuple.items();
        switch (g.name()) {
            case "collections.OrderedDict" -> {
                return new LinkedHashMap<>();
            }
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> {
                if (a.size() < 4 || !(a.get(0) instanceof Storage s) || !(a.get(1) instanceof Long offset)) {
                    throw refuse("rebuilds a tensor from " + describe(argsObj));
                }
                long[] size = longs(a.get(2));
                long[] stride = longs(a.get(3));
                if (size.length != stride.length) {
                    throw refuse("rebuilds a tensor with " + size.length + " sizes and " + stride.length + " strides");
                }
                TensorRef t = new TensorRef(s, offset, size, stride);
                long last = offset;
                for (int d = 0; d < size.length; d++) {
                    if (size[d] < 0 || stride[d] < 0) {
                        throw refuse("rebuilds a tensor with a negative size or stride");
                    }
                    last += size[d] == 0 ? 0 : (size[d] - 1) * stride[d];
                }
                if (t.numel() > 0 && last >= s.numel()) {
                    throw refuse("rebuilds a tensor reaching element " + last + " of a storage of " + s.numel());
                }
                return t;
            }
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                return a.get(0);
            }
            case "torch.Size" -> {
                return a.isEmpty() ? new Tuple(List.of()) : a.get(0);
            }
            default -> throw refuse("calls " + g.name() + ", which a weights-only load refuses");
        }
    }

    private long[] longs(Object o) {
        if (!(o instanceof Tuple t)) {
            throw refuse("has a tensor shape that is not a tuple: " + describe(o));
        }
        long[] out = new long[t.items().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.items().get(i) instanceof Long v)) {
                throw refuse("has a tensor shape with a " + typeName(t.items().get(i)));
            }
            out[i] = v;
        }
        return out;
    }

    private Object long1() {
        int n = in.get() & 0xff;
        byte[] b = bytes(n);
        if (n > 8) {
            throw refuse("has an integer of " + n + " bytes");
        }
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xff);
        }
        if (n > 0 && n < 8 && (b[n - 1] & 0x80) != 0) {
            v -= 1L << (8 * n); // two's complement of n bytes
        }
        return v;
    }

    private byte[] bytes(int n) {
        if (n < 0 || n > in.remaining()) {
            throw refuse("ends inside a value (truncated or corrupt)");
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String line() {
        StringBuilder b = new StringBuilder();
        while (true) {
            if (!in.hasRemaining()) {
                throw refuse("ends inside a GLOBAL name");
            }
            char c = (char) (in.get() & 0xff);
            if (c == '\n') {
                return b.toString();
            }
            if (b.length() > 256) {
                throw refuse("has a GLOBAL name longer than 256 characters");
            }
            b.append(c);
        }
    }

    private Object memoGet(int i) {
        if (!memo.containsKey(i)) {
            throw refuse("reads memo entry " + i + ", which was never stored");
        }
        return memo.get(i);
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (!(o instanceof Map)) {
            throw refuse("sets an item of a " + typeName(o) + ", not a dict");
        }
        return (Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (!(o instanceof ArrayList)) {
            throw refuse("appends to a " + typeName(o) + ", not a list");
        }
        return (List<Object>) o;
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) {
            throw refuse("pops an empty stack (corrupt)");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.isEmpty()) {
            throw refuse("reads an empty stack (corrupt)");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) {
            throw refuse("closes a MARK that was never opened (corrupt)");
        }
        List<Object> items = stack;
        stack = marks.remove(marks.size() - 1);
        return items;
    }

    private static Object nullable(Object o) {
        return o == null ? NONE : o;
    }

    /** List.of refuses nulls: None inside a tuple is this marker. */
    private static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    private InvalidInputException refuse(String what) {
        return new InvalidInputException(where + ": " + what);
    }

    private static String describe(Object o) {
        if (o instanceof Global g) {
            return g.name();
        }
        if (o instanceof Tuple t) {
            return "(" + String.join(", ", t.items().stream().map(WeightsOnlyUnpickler::describe).toList()) + ")";
        }
        return o instanceof String s ? "'" + s + "'" : String.valueOf(o);
    }

    private static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Tuple) {
            return "tuple";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof TensorRef) {
            return "tensor";
        }
        return o.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }

    static String shape(long[] s) {
        return Arrays.toString(s);
    }
}
