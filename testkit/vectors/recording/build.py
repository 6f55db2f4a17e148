import json
R={
"batch-wrong-type":[10,31],"batch-wrong-type-range":[10,31],"batch-empty":[11,13],"batch-aggregate":[12,13],
"put-aggregate-and-single":[12,32],"put-aggregate-and-single-2":[12,32],"put-range-agg-and-hash-agg":[12,32],
"update-aggregate":[29],"update-single-over":[29],"update-empty-binary":[11,29],
"txn-put-aggregate":[30],"txn-put-empty":[30],"txn-update-wrong-type":[10,30],"txn-update-aggregate":[29],
"txn-update-empty-with-failing-cond":[30],"txn-update-empty-binary":[11,29,30],"txn-two-updates-second-empty":[30],
"query-empty-hash":[25],"query-empty-range":[25],"query-big-range-eq-prefix":[33],"query-big-range-last":[33],
"query-big-range-sum":[33],"query-big-hash":[33],"query-big-hash-sum":[33],
"esk-other-partition":[28],"esk-outside-range":[28],"esk-prefix-mismatch":[28],"esk-wrong-type":[28],
"esk-extra-attr":[19,28],"esk-nonexistent-item":[19,28],"esk-empty-range-value":[28],"scan-esk-missing":[19],
"scan-esk-ok":[19,22],"scan-hashonly-esk":[18,19,22],"query-hashonly-desc-limit":[18,19],
"query-keysonly-projection-nonkey":[21],"query-keysonly-select-all":[21],"query-filter-on-table-key":[20],
"query-filter-nested-key":[20],"query-projection-keysonly-proj-ok":[21],"query-consistent":[16],
"query-between-r2":[15,17],"query-r1-lt-desc":[15,17],"query-r1r2-eq-desc-limit":[15,17,19],"query-r1-le-limit-at-bound":[15,19],
"query-begins-with-status-wrong-type":[16],"query-bw-status-num":[27],"query-hash-wrong-type-and-missing":[14,25],
"query-hash-only-one-plus-range":[14,25],"query-only-range":[14],"query-range-not-prefix-and-hash-missing":[14,25],
"query-three-on-range-missing-two":[26],"query-range-gt-and-later-eq":[26],"query-r1-gt-r2-gt":[26],
"query-dup-hash-and-missing":[25],"query-nonkey-and-missing-hash":[25],"query-between-hash":[14],
"query-hash-value-wrong-type-2nd":[16,25],"query-range-prefix-wrong-type":[16,25],
"scan-keysonly":[21,22],"scan-byBin":[22],"scan-byStatus":[22],"scan-segment":[22],"scan-segment1":[22],"scan-wide":[22],
"put-wide-hash-agg":[12],"put-wide-range-agg":[12],"put-wide-range-agg2":[12],"put-wide-range-agg3":[12],"put-wide-range-agg4":[12],
"put-wide-range-agg5":[12],"put-wide-range-agg6":[12],"put-wide-range-agg7":[12],
"b-nonkey-range-gap":[25,26],"c-hashonly-nonkey-hash-missing":[25],"d-hashonly-nonkey":[25],"f-hashonly-range-hash-missing":[25],
"g-missing-then-gt-then-eq":[26],"h-wide-gt-missing-gt-eq":[26],"h2-wide-eq-gt-eq-missing":[26],"i-tablekey-range-gap":[25,26],
"j-hash-gt-nonkey":[25],"k-or-hash-missing":[25],"l-wrongtype-prefix-and-gap":[25,26],"m-nonkey-and-dup":[25],"n-dup-range":[25],
"o-nonkey-range-ok":[25],"p-range-only-hash-ok-begins-hash":[14],"q-wrong-type-hash-and-gap":[25],"r-between-prefix-mismatch-type":[25],
"s-between-wrong-order":[25],"t-empty-prefix-value":[25],"u-begins-hash-only-index":[14],
"esk-empty-pk":[28],"esk-empty-hash":[28],"esk-empty-bin":[28],"esk-scan-empty":[28],"esk-missing-hash":[19],
"txn-put-size-limit":[30],"txn-put-empty-bin":[30],"txn-put-agg-and-wrongtype":[30],"txn-put-agg-and-cond":[30],
"txn-put-empty-after-update-empty":[30],"txn-update-agg-range":[29],"update-agg-range":[29],"update-agg-new-item":[29],
"batch-put-agg-range":[12],"update-wrong-type-nonscalar":[31],"batch-wrong-type-nonscalar":[31],"put-wrong-type-nonscalar":[31],
"w1-gt-gt-eq":[26],"w2-miss-eq-miss-eq":[26],"w3-gt-eq-gt":[26],"w4-gt-miss-eq-eq":[26],"w5-eq-gt-gt-gt":[26],"w6-miss-gt-miss-gt":[26],
"w7-hash-types-b-c":[25],"x1-hash-wrongtype-nonkey":[25],"x2-range-wrongtype-nonkey":[25],"x3-hash-empty-gap":[25],"x4-hash-list-gap":[25],
"x5-hash-wrongtype-missing":[25],"x6-hashonly-wrongtype-nonkey":[25],"x7-range-wrongtype-range-gap-later":[25],
"x8-hash-wrongtype-range-gt-nonkey":[25],"x9-big-hash-value-empty-range":[33],"x10-hash-types-first-second":[25],
"x11-begins-N-on-S-prefix-missing":[27],"x12-begins-B-on-S":[27],"x13-begins-S-on-B":[27],"x14-begins-N-on-B":[27],"x15-begins-S-on-N":[27],
"x16-lt-wrong-type":[16],"single-bw-N-on-S":[27],"single-gsi-esk-empty":[28],"single-gsi-esk-empty-pk":[28],"single-gsi-nonkey-kce":[25],
"single-gsi-bw-N-on-S":[27],"t-query-esk-empty-sk":[28],"t-query-esk-empty-pk":[28],"t-scan-esk-empty-pk":[28],"t-scan-esk-empty-sk":[28],
"g-scan-esk-empty-pk":[28],"g-scan-esk-empty-h":[28],"g-query-esk-empty-sk":[28],"m-scan-esk-empty-pk":[28],"m-query-esk-empty-both":[28],
"m-query-esk-empty-two-idx":[28],"m-query-esk-wrongtype-and-empty":[28],"esk-order-sk-team":[28],"esk-order-sk-ts":[28],"esk-order-org-pk":[28],
}
for n in ["1e20","12345678901234567890","-1","0"]:
    for e in (0,1): R[f"n-{n}-{e}"]=[12]
LOCAL={29,22,18}
out=[]
for l in open('all.jsonl'):
    v=json.loads(l)
    name=v['id'].split('/',1)[1]
    rules=R[name]
    e=v['expect']
    if e['status']==200:
        r=e['response']
        note = f"Count {r['Count']}" if 'Count' in r else "success"
        if 'Items' in r and r['Items']:
            pks=[i.get('pk',{}).get('S','?') for i in r['Items']]
            note += "; order (pk): " + ", ".join(pks)
        if 'LastEvaluatedKey' in r: note += "; LEK " + json.dumps(r['LastEvaluatedKey'])
    else:
        note = f"{e['error']}: {e['message']}"
    w={"id":"p13m/"+name,"topic":"13m. Multi-attribute index keys (monotable's probes)","setup":v['setup'],
       "request":v['request'],"expect":e,"rules":rules}
    if any(x in LOCAL for x in rules): w["local_specific"]=True
    w["note"]=note
    out.append(w)
with open('/work/main/testkit/vectors/dynamodb-multikey-vectors-monotable.jsonl','w') as f:
    for w in out: f.write(json.dumps(w, ensure_ascii=False)+'\n')
print(len(out))
