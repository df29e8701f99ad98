import socket, re, sys, json
port=int(sys.argv[1])
s=socket.create_connection(("127.0.0.1",port)); f=s.makefile('rb')
def cmd(*a):
    out=b"*%d\r\n"%len(a)
    for x in a:
        out+=b"$%d\r\n%s\r\n"%(len(x),x)
    s.sendall(out)
def read():
    line=f.readline(); out=line
    t=line[:1]; rest=line[1:-2]
    if t in b"$=!":
        n=int(rest)
        if n>=0: out+=f.read(n+2)
    elif t in b"*~>":
        for _ in range(max(int(rest),0)): out+=read()
    elif t in b"%|":
        for _ in range(max(int(rest),0)*2): out+=read()
    return out
cmds=json.load(open(sys.argv[2]))
for proto in (2,3):
    cmd(b"HELLO", str(proto).encode()); read()
    for c in cmds:
        cmd(*[x.encode() for x in c])
        r=re.sub(rb"script: [0-9a-f]{40}", b"script: SHA", read())
        print(r.hex())
