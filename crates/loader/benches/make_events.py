#!/usr/bin/env python3
"""Writes a generator-independent landing day for the loader benchmark.

make_events.py DATA_DIR DATE ROWS CLEAN_FILE TEXT_FILE

DATA_DIR/dt=DATE/events.csv gets ROWS records shaped like the generator's (UUID ids,
RFC 3339 millisecond timestamps, ~5% purchases with prices), of which 1 in 1000 is
unparseable (bad_timestamp, bad_number, bad_field_count in turn); users.csv and
products.csv are header-only; _manifest.json is honest (rows, sha256, mess counts).
CLEAN_FILE gets the same events without the unparseable rows, for the typed \\copy;
TEXT_FILE without only the bad_field_count rows, which COPY into an all-text table
cannot take either (it aborts on "missing data for column").
Deterministic: the same arguments give the same bytes.
"""
import hashlib, json, os, random, sys, uuid

EVENTS_HEADER = "event_id,event_ts,user_id,session_id,event_type,page_url,product_id,quantity,unit_price,order_id,device,country"
USERS_HEADER = "user_id,email,full_name,country,city,device,acquisition_channel,plan,signup_date,updated_at,is_deleted"
PRODUCTS_HEADER = "product_id,sku,name,category,brand,unit_price,is_active,updated_at"
TYPES = ["page_view", "click", "search", "product_view", "add_to_cart", "remove_from_cart", "begin_checkout"]
DEVICES = ["mobile", "desktop", "tablet"]
COUNTRIES = ["US", "DE", "FR", "GB", "IT", "ES", "NL", "PL", "BR", "IN"]


def main():
    data_dir, date, rows, clean_path, text_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    rng = random.Random(7)
    uid = lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))
    day = os.path.join(data_dir, f"dt={date}")
    os.makedirs(day, exist_ok=True)
    mess = {"bad_timestamp": 0, "bad_number": 0, "bad_field_count": 0}
    kinds = list(mess)
    with open(os.path.join(day, "events.csv"), "w", newline="") as ev, open(clean_path, "w", newline="") as clean, \
            open(text_path, "w", newline="") as text:
        ev.write(EVENTS_HEADER + "\n")
        clean.write(EVENTS_HEADER + "\n")
        text.write(EVENTS_HEADER + "\n")
        session, user = uid(), rng.randrange(1, 200_000)
        for i in range(rows):
            if i % 7 == 0:
                session, user = uid(), rng.randrange(1, 200_000)
            secs = i * 86_400 // rows
            ts = f"{date}T{secs // 3600:02}:{secs // 60 % 60:02}:{secs % 60:02}.{rng.randrange(1000):03}Z"
            device, country = DEVICES[user % 3], COUNTRIES[user % 10]
            if rng.random() < 0.05:
                p = rng.randrange(1, 300)
                line = f"{uid()},{ts},{user},{session},purchase,/checkout/complete,{p},{rng.randrange(1, 4)},{rng.randrange(100, 20000) / 100:.2f},{uid()},{device},{country}"
            else:
                t = TYPES[rng.randrange(len(TYPES))]
                p = rng.randrange(1, 300)
                prod = str(p) if t in ("product_view", "add_to_cart", "remove_from_cart") else ""
                url = f"/p/{p}" if prod else "/"
                line = f"{uid()},{ts},{user},{session},{t},{url},{prod},,,,{device},{country}"
            if i % 1000 == 999:
                kind = kinds[(i // 1000) % 3]
                mess[kind] += 1
                if kind == "bad_timestamp":
                    line = line.replace(ts, f"{date} 25:61:00", 1)
                elif kind == "bad_number":
                    line = line.replace(f",{user},", f",{user}x,", 1)
                else:
                    line = line.rsplit(",", 1)[0]
                ev.write(line + "\n")
                if kind != "bad_field_count":
                    text.write(line + "\n")
            else:
                ev.write(line + "\n")
                clean.write(line + "\n")
                text.write(line + "\n")
    files = {}
    for name, header in (("users.csv", USERS_HEADER), ("products.csv", PRODUCTS_HEADER)):
        with open(os.path.join(day, name), "w") as f:
            f.write(header + "\n")
    for name, n in (("events.csv", rows), ("users.csv", 0), ("products.csv", 0)):
        with open(os.path.join(day, name), "rb") as f:
            files[name] = {"rows": n, "sha256": hashlib.sha256(f.read()).hexdigest()}
    manifest = {"schema_version": 1, "generator_version": "bench-make_events", "seed": 7, "scale": 1.0,
                "config_hash": "bench", "date": date, "files": files, "mess": mess}
    with open(os.path.join(day, "_manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(json.dumps({"rows": rows, "mess": mess}), file=sys.stderr)


if __name__ == "__main__":
    main()
