"""Independent reference for the beacon score (docs/correlation.md,
"Correlation type beacon"), used to derive this case's expected context.
Works on the sorted distinct seconds, so it is exact for <= 64 intervals
(the engine's sample size). Run: python3 beacon_ref.py"""
import math
def q7(s,p):
    n=len(s); h=(n-1)*p; lo=math.floor(h); hi=min(lo+1,n-1)
    return s[lo]+(h-lo)*(s[hi]-s[lo])
def lin(x,full,zero):
    if full<zero:
        if x<=full: return 1.0
        if x>=zero: return 0.0
        return (zero-x)/(zero-full)
    if x>=full: return 1.0
    if x<=zero: return 0.0
    return (x-zero)/(full-zero)
def desc(v):
    s=sorted(v); q1,q2,q3=q7(s,.25),q7(s,.5),q7(s,.75)
    B=0.0 if q3==q1 else (q3+q1-2*q2)/(q3-q1)
    mad=q7(sorted(abs(x-q2) for x in s),.5)
    return q2,mad,B
def beacon(times_s, sizes=None, min_events=4):
    ts=sorted(set(times_s))
    if len(ts)<min_events: return None
    d=[b-a for a,b in zip(ts,ts[1:])]
    m,mad,B=desc(d)
    r=mad/m; cov=len(d)*m/(ts[-1]-ts[0])
    D=lin(r,.2,.5); S=lin(abs(B),.3,1.0); C=lin(cov,.9,.5); K=min(1.0,len(d)/8)
    T=D*(0.4+0.2*S+0.4*C*K)
    res=dict(median=m,mad=mad,skew=B,polls=len(ts),timing=T,cov=cov)
    score=T
    if sizes is not None and len(sizes)>=min_events:
        sm,smad,sB=desc(sizes)
        rs=(0.0 if smad==0 else 1.0) if sm==0 else smad/sm
        Z=lin(rs,.1,.5)*(1+lin(abs(sB),.3,1.0))/2
        score=(2*T+Z)/3
        res.update(size_median=sm,size_mad=smad,size_skew=sB,size=Z)
    res['score']=math.floor(score*1000+0.5)/1000
    return res


if __name__ == "__main__":
    import datetime
    import json
    ts = []
    for line in open("sysmon.jsonl"):
        d = json.loads(line)
        if d["Image"].endswith("wsvchelper.exe"):
            t = datetime.datetime.strptime(d["UtcTime"], "%Y-%m-%d %H:%M:%S.%f")
            ts.append(int(t.replace(tzinfo=datetime.timezone.utc).timestamp()))
    r = beacon(ts)
    print("median %.1f  mad %.1f  skew %.3f  coverage %.3f  polls %d  "
          "span %d  score %.3f" % (r["median"], r["mad"], r["skew"], r["cov"],
                                   r["polls"], max(ts) - min(ts), r["score"]))
