import json, sys, urllib.request, copy
EP="http://127.0.0.1:8765"
def call(op, body):
    req=urllib.request.Request(EP, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type":"application/x-amz-json-1.0","X-Amz-Target":"DynamoDB_20120810."+op,
        "Authorization":"AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        "X-Amz-Date":"20250101T000000Z"})
    try:
        with urllib.request.urlopen(req) as r: return r.status, json.loads(r.read() or b'{}')
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b'{}')
n=0
import os, time
RUN=str(int(time.time()))
def rename(x, names):
    if isinstance(x, dict):
        return {(names.get(k,k) if k!='TableName' else k):(names.get(v,v) if k=='TableName' and isinstance(v,str) else rename(v,names)) for k,v in x.items()}
    if isinstance(x, list): return [rename(i,names) for i in x]
    return x
out=[]
for line in open(sys.argv[1]):
    v=json.loads(line); n+=1
    names={}
    for t in v['setup'].get('tables',[]):
        nm=t["TableName"]+f"_{RUN}_{n}"; names[t['TableName']]=nm
        t2=dict(t, TableName=nm); st,r=call("CreateTable", t2); assert st==200, r
    for tn,items in v['setup'].get('items',{}).items():
        for it in items:
            st,r=call("PutItem",{"TableName":names[tn],"Item":it}); assert st==200,r
    for s in v['setup'].get('steps',[]):
        st,r=call(s['op'], rename(s['body'],names))
    st,r=call(v['request']['op'], rename(v['request']['body'],names))
    exp={"status":st}
    if st==200: exp["response"]=rename(r,{b:a for a,b in names.items()})
    else:
        exp["error"]=r.get("__type","").split("#")[-1]; exp["message"]=r.get("message",r.get("Message"))
        exp["__type"]=r.get("__type")
        for k in r:
            if k not in ("__type","message","Message"): exp[k]=r[k]
    v['expect']=exp
    out.append(v)
    brief = exp.get("message") if st!=200 else json.dumps(r)[:300]
    print(v['id'], st, brief)
with open(sys.argv[2],'w') as f:
    for v in out: f.write(json.dumps(v)+'\n')
